#!/usr/bin/env python3
"""Where the CPU of one folded-stack profile (async-profiler's `collapsed` output) went, for scripts/profile.sh.

Each sample counts for the area of the frame nearest its leaf that belongs to one (kernel first), so that generic
machinery (pipeline, promises, buffers) counts for the area that called it. Prints the areas, the system calls the
kernel time was spent in, and the hottest leaf frames.
"""
import collections
import sys

AREAS = [
    ('kernel', lambda f: f.endswith('_[k]')),
    ('leak detector (sampling)', lambda f: 'ResourceLeakDetector' in f or 'LeakAware' in f),
    ('TLS (SslHandler, BoringSSL)', lambda f: 'libnetty_tcnative' in f or 'OpenSsl' in f or 'handler/ssl/' in f
        or 'internal/tcnative' in f or 'bouncycastle' in f or 'sun/security/ssl' in f),
    ('HPACK', lambda f: 'codec/http2/Hpack' in f),
    ('HTTP/2 child channels', lambda f: 'Http2MultiplexHandler' in f or 'AbstractHttp2StreamChannel' in f
        or 'Http2StreamChannelBootstrap' in f),
    ('HTTP/2 codec', lambda f: 'codec/http2/' in f),
    ('HTTP/1 codec', lambda f: 'codec/http/' in f),
    ('our code', lambda f: 'dev/vpctunnel' in f),
    ('buffer allocator', lambda f: 'io/netty/buffer/Adaptive' in f or 'io/netty/buffer/Pool' in f or 'Recycler' in f),
    ('epoll transport', lambda f: 'channel/epoll' in f or 'libnetty_transport_native' in f or 'channel/unix' in f),
]
VM_ROOTS = ('clone3', 'clone', '[unknown]', 'start_thread')


def read(path):
    with open(path, encoding='utf-8', errors='replace') as f:
        for line in f:
            stack, _, n = line.rstrip('\n').rpartition(' ')
            if stack and n.isdigit():
                yield stack.split(';'), int(n)


def area(frames):
    if frames[0] in VM_ROOTS:
        return 'GC, JIT and VM threads'
    for f in reversed(frames):
        for name, test in AREAS:
            if test(f):
                return name
    return 'other (pipeline, promises, JDK)'


def syscall(frames):
    for i, f in enumerate(frames):
        if f.endswith('_[k]'):
            if f.startswith('entry_SYSCALL') and i > 0:
                return frames[i - 1]  # the libc wrapper: writev, recv, epoll_pwait2...
            return 'interrupts, page faults, scheduler (' + f[:-4] + ')'
    return None


def main(path):
    total = 0
    areas, calls, leaves = collections.Counter(), collections.Counter(), collections.Counter()
    for frames, n in read(path):
        total += n
        areas[area(frames)] += n
        leaves[frames[-1]] += n
        s = syscall(frames)
        if s:
            calls[s] += n
    if total == 0:
        print('   no samples')
        return
    pct = lambda n: f'{100.0 * n / total:5.1f} %'
    print(f'   {total} samples')
    for name, n in areas.most_common():
        print(f'   {pct(n)}  {name}')
    print('   kernel time by the system call (or event) that entered it:')
    for name, n in calls.most_common(6):
        print(f'   {pct(n)}  {name[:100]}')
    print('   hottest frames (self time):')
    for name, n in leaves.most_common(12):
        print(f'   {pct(n)}  {name[:110]}')


if __name__ == '__main__':
    if len(sys.argv) != 2:
        sys.exit('usage: profile_summary.py FILE.collapsed')
    main(sys.argv[1])
