#!/usr/bin/env python3
"""Bounded load for the netns gateway suite (a worker's fetch() as the gateway sees it: absolute-form HTTP/1.1).

    load.py concurrent --gw ADDR:PORT --token T --binding B --url URL --n 1000 --expect TEXT [--timeout 60]
        opens N connections at once, then sends one fetch on each; all must answer 200 with TEXT in the body.
    load.py failover --gw ... --token T --binding B --slow-url URL --url URL --streams 40 --kill-pid PID
                     --kill-peer ADDR [--after 40]
        starts STREAMS long chunked downloads, waits until each has its headers (x-origin-peer says which
        connector carries it), kill -9 PID (the connector whose LAN address is ADDR), then after 0.3 s sends
        AFTER new fetches. Prints one JSON summary line; exits 0 only when the streams on the killed connector
        failed, every other stream completed, and every new fetch succeeded.
        With --hang N --hang-url URL --origin-log F, N more fetches are in flight at the origin without a
        response yet when the kill happens: those on the killed connector must fail with stream_reset and reach
        the origin exactly once (no retry once the request may have reached it), the others complete.
    load.py slowreader --gw ... --token T --binding B --url URL --pids P1,P2 [--read-bytes N --pause S]
        reads N bytes of a big response, then stops reading for S seconds while sampling the VmRSS of P1,P2;
        exits 0 when no process grew by --max-growth-mib.
    load.py keepalive --gw ... --token T --steps "METHOD BINDING URL [BODY_BYTES]"...
        sends the steps one after the other on one connection; prints STATUS/CF-VPC-ERROR/ORIGIN-ID per step.
        With --pipeline every request is written before the first answer is read.
    load.py h2cancel --gw ... --token T --binding B --url URL [--pause S]
        h2c prior knowledge: fetches URL on stream 1, resets it (CANCEL) after its first DATA frame, waits S
        seconds, then fetches on stream 3 of the same connection; exits 0 when stream 3 completes.
Every wait is bounded by --timeout.
"""
import argparse
import asyncio
import json
import os
import signal
import sys
import time
import urllib.parse


class Result:
    def __init__(self):
        self.status = None
        self.headers = {}
        self.body = b""
        self.complete = False
        self.error = None


async def fetch(gw, token, binding, url, timeout, on_head=None, barrier=None):
    r = Result()
    host, port = gw.rsplit(":", 1)
    writer = None
    try:
        reader, writer = await asyncio.wait_for(asyncio.open_connection(host, int(port), limit=1 << 16), timeout)
        if barrier is not None:
            await barrier()
        writer.write(("GET %s HTTP/1.1\r\nProxy-Authorization: Bearer %s\r\ncf-vpc-binding: %s\r\n"
                      "Connection: close\r\n\r\n" % (url, token, binding)).encode())
        await writer.drain()
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), timeout)
        lines = head.decode("latin-1").split("\r\n")
        r.status = int(lines[0].split(" ")[1])
        for l in lines[1:]:
            if l:
                k, v = l.split(":", 1)
                r.headers[k.strip().lower()] = v.strip()
        if on_head:
            on_head(r)
        body = bytearray()
        deadline = time.monotonic() + timeout
        if "chunked" in r.headers.get("transfer-encoding", "").lower():
            while True:
                line = await asyncio.wait_for(reader.readuntil(b"\r\n"), deadline - time.monotonic())
                size = int(line.split(b";")[0], 16)
                if size == 0:
                    await asyncio.wait_for(reader.readuntil(b"\r\n"), deadline - time.monotonic())
                    r.complete = True
                    break
                body += await asyncio.wait_for(reader.readexactly(size + 2), deadline - time.monotonic())
        elif "content-length" in r.headers:
            n = int(r.headers["content-length"])
            body += await asyncio.wait_for(reader.readexactly(n), deadline - time.monotonic())
            r.complete = True
        else:
            body += await asyncio.wait_for(reader.read(), deadline - time.monotonic())
            r.complete = True
        r.body = bytes(body)
    except (asyncio.IncompleteReadError, ConnectionError, OSError, asyncio.TimeoutError, ValueError, IndexError) as e:
        r.error = type(e).__name__ + ": " + str(e)[:100]
    finally:
        if writer is not None:
            writer.close()
    return r


async def concurrent(a):
    n = a.n
    ready = asyncio.Event()
    connected = 0

    async def barrier():
        nonlocal connected
        connected += 1
        if connected == n:
            ready.set()
        await asyncio.wait_for(ready.wait(), a.timeout)

    t0 = time.monotonic()
    results = await asyncio.gather(*(fetch(a.gw, a.token, a.binding, a.url, a.timeout, barrier=barrier) for _ in range(n)))
    ok = [r for r in results if r.status == 200 and r.complete and a.expect.encode() in r.body]
    bad = [r for r in results if r not in ok]
    reasons = {}
    for r in bad:
        k = r.error or "status=%s cf-vpc-error=%s" % (r.status, r.headers.get("cf-vpc-error"))
        reasons[k] = reasons.get(k, 0) + 1
    print(json.dumps({"n": n, "ok": len(ok), "failed": len(bad), "all_connected_at_once": connected == n,
                      "seconds": round(time.monotonic() - t0, 2), "failures": reasons}))
    return 0 if not bad else 1


async def failover(a):
    heads = 0
    all_heads = asyncio.Event()

    def on_head(r):
        nonlocal heads
        heads += 1
        if heads == a.streams:
            all_heads.set()

    longs = [asyncio.ensure_future(fetch(a.gw, a.token, a.binding, a.slow_url, a.timeout, on_head=on_head))
             for _ in range(a.streams)]
    # Fetches whose response has not started yet when the connector dies: the request reached the origin, so the
    # edge must not retry them (stream_reset), while those on the other connector complete.
    hangs = [asyncio.ensure_future(fetch(a.gw, a.token, a.binding, "%s&tag=fo-hang-%d" % (a.hang_url, i), a.timeout))
             for i in range(a.hang)]
    try:
        await asyncio.wait_for(all_heads.wait(), a.timeout)
        t_end = time.monotonic() + a.timeout
        while a.hang and time.monotonic() < t_end:
            seen = sum(1 for line in open(a.origin_log) if " GET " in line and "tag=fo-hang-" in line)
            if seen >= a.hang:
                break
            await asyncio.sleep(0.05)
    except asyncio.TimeoutError:
        pass
    os.kill(a.kill_pid, signal.SIGKILL)
    killed_at = time.monotonic()
    await asyncio.sleep(0.3)
    t_after = time.monotonic()
    after = await asyncio.gather(*(fetch(a.gw, a.token, a.binding, a.url, a.timeout) for _ in range(a.after)))
    after_s = time.monotonic() - t_after
    longs = await asyncio.gather(*longs)
    hangs = await asyncio.gather(*hangs)
    hang_bad = []
    hang_killed = hang_other = 0
    log_lines = [l for l in open(a.origin_log) if " GET " in l] if a.hang else []
    for i, r in enumerate(hangs):
        tag = "tag=fo-hang-%d " % i
        seen = [l for l in log_lines if tag in l]
        peers = [w[5:] for l in seen for w in l.split() if w.startswith("peer=")]
        if len(seen) != 1:
            hang_bad.append("fo-hang-%d reached the origin %d times" % (i, len(seen)))
        elif peers[0] == a.kill_peer:
            hang_killed += 1
            if not (r.status == 502 and r.headers.get("cf-vpc-error") == "stream_reset"):
                hang_bad.append("fo-hang-%d on the killed connector: status=%s cf-vpc-error=%s error=%s"
                                % (i, r.status, r.headers.get("cf-vpc-error"), r.error))
        else:
            hang_other += 1
            if not (r.status == 200 and r.complete):
                hang_bad.append("fo-hang-%d on the other connector: status=%s error=%s" % (i, r.status, r.error))
    on_killed = [r for r in longs if r.headers.get("x-origin-peer") == a.kill_peer]
    on_other = [r for r in longs if r.status == 200 and r.headers.get("x-origin-peer") not in (None, a.kill_peer)]
    no_head = [r for r in longs if r not in on_killed and r not in on_other]
    killed_failed = [r for r in on_killed if not r.complete]
    other_ok = [r for r in on_other if r.complete]
    after_ok = [r for r in after if r.status == 200 and r.complete]
    after_bad = {}
    for r in after:
        if r not in after_ok:
            k = r.error or "status=%s cf-vpc-error=%s" % (r.status, r.headers.get("cf-vpc-error"))
            after_bad[k] = after_bad.get(k, 0) + 1
    summary = {
        "streams": a.streams,
        "on_killed_connector": len(on_killed), "on_killed_failed": len(killed_failed),
        "on_other_connector": len(on_other), "on_other_completed": len(other_ok),
        "without_headers": len(no_head),
        "new_fetches": a.after, "new_fetches_ok": len(after_ok), "new_fetches_seconds": round(after_s, 2),
        "new_fetch_failures": after_bad,
        "seconds_since_kill": round(time.monotonic() - killed_at, 2),
        "unanswered_on_killed": hang_killed, "unanswered_on_other": hang_other, "unanswered_problems": hang_bad[:5],
    }
    print(json.dumps(summary))
    good = (len(on_killed) > 0 and len(killed_failed) == len(on_killed) and len(on_other) > 0
            and len(other_ok) == len(on_other) and not no_head and len(after_ok) == a.after
            and not hang_bad and (a.hang == 0 or (hang_killed > 0 and hang_other > 0)))
    return 0 if good else 1


async def keepalive(a):
    """Several fetches one after the other on ONE gateway connection; prints status/error/origin per step."""
    host, port = a.gw.rsplit(":", 1)
    reader, writer = await asyncio.wait_for(asyncio.open_connection(host, int(port)), a.timeout)
    out = []

    async def send(step):
        parts = step.split()
        method, binding, url = parts[0], parts[1], parts[2]
        size = int(parts[3]) if len(parts) > 3 else 0
        writer.write(("%s %s HTTP/1.1\r\nProxy-Authorization: Bearer %s\r\ncf-vpc-binding: %s\r\n"
                      "content-length: %d\r\n\r\n" % (method, url, a.token, binding, size)).encode())
        left = size
        while left:
            k = min(left, 1 << 16)
            writer.write(b"b" * k)
            left -= k
            await writer.drain()
        await writer.drain()

    try:
        if a.pipeline:  # every request written before any answer is read (HTTP/1.1 pipelining)
            for step in a.steps:
                await send(step)
        for step in a.steps:
            method = step.split()[0]
            if not a.pipeline:
                await send(step)
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), a.timeout)
            lines = head.decode("latin-1").split("\r\n")
            hs = {}
            for l in lines[1:]:
                if l:
                    k, v = l.split(":", 1)
                    hs[k.strip().lower()] = v.strip()
            status = int(lines[0].split(" ")[1])
            if method != "HEAD" and status not in (204, 304):
                if "chunked" in hs.get("transfer-encoding", ""):
                    while True:
                        n = int((await asyncio.wait_for(reader.readuntil(b"\r\n"), a.timeout)).split(b";")[0], 16)
                        await asyncio.wait_for(reader.readexactly(n + 2), a.timeout)
                        if n == 0:
                            break
                else:
                    await asyncio.wait_for(reader.readexactly(int(hs.get("content-length", "0"))), a.timeout)
            out.append("%d/%s/%s" % (status, hs.get("cf-vpc-error", "-"), hs.get("x-origin-id", "-")))
    except (asyncio.IncompleteReadError, ConnectionError, OSError, asyncio.TimeoutError, ValueError) as e:
        out.append("error:" + type(e).__name__)
    finally:
        writer.close()
    print(" ".join(out))
    return 0


def _hpack_int(value, prefix_bits, first):
    limit = (1 << prefix_bits) - 1
    if value < limit:
        return bytes([first | value])
    out = [first | limit]
    value -= limit
    while value >= 128:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def _hpack(headers):
    """Literal header fields without indexing, no Huffman: enough for a request."""
    out = b""
    for k, v in headers:
        out += b"\x00" + _hpack_int(len(k), 7, 0) + k.encode() + _hpack_int(len(v), 7, 0) + v.encode()
    return out


def _frame(ftype, flags, stream, payload):
    return len(payload).to_bytes(3, "big") + bytes([ftype, flags]) + stream.to_bytes(4, "big") + payload


async def h2cancel(a):
    """h2c: a worker's AbortSignal is RST_STREAM(CANCEL) on its stream; the connection itself stays usable."""
    host, port = a.gw.rsplit(":", 1)
    reader, writer = await asyncio.wait_for(asyncio.open_connection(host, int(port)), a.timeout)
    u = urllib.parse.urlsplit(a.url)

    def request(stream, path):
        hs = [(":method", "GET"), (":scheme", u.scheme), (":authority", u.netloc), (":path", path),
              ("proxy-authorization", "Bearer " + a.token), ("cf-vpc-binding", a.binding)]
        return _frame(0x1, 0x5, stream, _hpack(hs))  # HEADERS, END_STREAM | END_HEADERS

    path = u.path + ("?" + u.query if u.query else "")
    writer.write(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + _frame(0x4, 0, 0, b"") + request(1, path))
    await writer.drain()

    async def next_frame():
        head = await asyncio.wait_for(reader.readexactly(9), a.timeout)
        n = int.from_bytes(head[:3], "big")
        payload = await asyncio.wait_for(reader.readexactly(n), a.timeout)
        ftype, flags, stream = head[3], head[4], int.from_bytes(head[5:9], "big") & 0x7FFFFFFF
        if ftype == 0x4 and not flags & 0x1:
            writer.write(_frame(0x4, 0x1, 0, b""))  # SETTINGS ACK
        return ftype, flags, stream

    result = {"stream1_headers": False, "stream1_data_before_cancel": False, "stream3": None}
    try:
        while True:  # wait for the response headers and one DATA frame of stream 1, then cancel it
            ftype, flags, stream = await next_frame()
            if stream == 1 and ftype == 0x1:
                result["stream1_headers"] = True
            if stream == 1 and ftype == 0x0:
                result["stream1_data_before_cancel"] = True
                break
        writer.write(_frame(0x3, 0, 1, (8).to_bytes(4, "big")))  # RST_STREAM CANCEL
        await writer.drain()
        await asyncio.sleep(a.pause)
        writer.write(request(3, "/after-h2-cancel"))
        await writer.drain()
        while True:
            ftype, flags, stream = await next_frame()
            if stream == 3 and ftype == 0x1:
                result["stream3"] = "headers"
            if stream == 3 and flags & 0x1 and ftype in (0x0, 0x1):
                result["stream3"] = "complete"
                break
            if stream == 3 and ftype == 0x3:
                result["stream3"] = "reset"
                break
    except (asyncio.IncompleteReadError, ConnectionError, asyncio.TimeoutError) as e:
        result["error"] = type(e).__name__
    finally:
        writer.close()
    print(json.dumps(result))
    return 0 if result["stream1_headers"] and result["stream3"] == "complete" else 1


def rss_kib(pid):
    try:
        for line in open("/proc/%d/status" % pid):
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


async def slowreader(a):
    """A worker that stops reading: the origin must be held back, not buffered at the edge or the connector."""
    pids = [int(p) for p in a.pids.split(",")]
    base = [rss_kib(p) for p in pids]
    peak = list(base)
    host, port = a.gw.rsplit(":", 1)
    reader, writer = await asyncio.wait_for(asyncio.open_connection(host, int(port)), a.timeout)
    # a small receive buffer on the worker's side, so the kernel does not hide the pause
    import socket
    writer.get_extra_info("socket").setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 16)
    writer.write(("GET %s HTTP/1.1\r\nProxy-Authorization: Bearer %s\r\ncf-vpc-binding: %s\r\nConnection: close\r\n\r\n"
                  % (a.url, a.token, a.binding)).encode())
    await writer.drain()
    got = 0
    while got < a.read_bytes:
        b = await asyncio.wait_for(reader.read(1 << 16), a.timeout)
        if not b:
            break
        got += len(b)
    t_end = time.monotonic() + a.pause
    while time.monotonic() < t_end:
        await asyncio.sleep(0.1)
        for i, p in enumerate(pids):
            peak[i] = max(peak[i], rss_kib(p))
    writer.close()
    growth = [(pk - b0) // 1024 for pk, b0 in zip(peak, base)]
    print(json.dumps({"read_before_pause": got, "pause_s": a.pause, "rss_growth_mib": growth}))
    return 0 if max(growth) < a.max_growth_mib else 1


def main():
    p = argparse.ArgumentParser()
    p.add_argument("mode", choices=["concurrent", "failover", "slowreader", "keepalive", "h2cancel"])
    p.add_argument("--gw", required=True)
    p.add_argument("--token", required=True)
    p.add_argument("--binding", required=True)
    p.add_argument("--url")
    p.add_argument("--slow-url")
    p.add_argument("--n", type=int, default=1000)
    p.add_argument("--expect", default="")
    p.add_argument("--streams", type=int, default=40)
    p.add_argument("--after", type=int, default=40)
    p.add_argument("--kill-pid", type=int)
    p.add_argument("--kill-peer")
    p.add_argument("--timeout", type=float, default=60)
    p.add_argument("--pids", default="")
    p.add_argument("--steps", nargs="*", default=[])
    p.add_argument("--pipeline", action="store_true")
    p.add_argument("--hang-url")
    p.add_argument("--hang", type=int, default=0)
    p.add_argument("--origin-log")
    p.add_argument("--read-bytes", type=int, default=1 << 20)
    p.add_argument("--pause", type=float, default=5)
    p.add_argument("--max-growth-mib", type=int, default=100)
    a = p.parse_args()
    modes = {"concurrent": concurrent, "failover": failover, "slowreader": slowreader, "keepalive": keepalive, "h2cancel": h2cancel}
    sys.exit(asyncio.run(modes[a.mode](a)))


if __name__ == "__main__":
    main()
