package dev.vpctunnel.edge.link;

import dev.vpctunnel.core.net.OncePer;
import io.netty.channel.Channel;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.Iterator;
import java.util.Queue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;
import java.util.logging.Logger;

/**
 * The accepted tunnel sockets that have not registered yet, bounded: anyone can open them (the port is public, and a
 * connector proves itself only by registering), and each may hold a header block of up to 240 KiB until its timeouts.
 * Past {@link EdgeLinkConfig#maxUnregisteredPerSource()} from one address (an IPv6 /64), that address's oldest is closed; past
 * {@link EdgeLinkConfig#maxUnregistered()} in all, the oldest of all. A connector registers a few round trips after it
 * connects, so idle sockets cannot keep it out, and one address cannot fill the edge. Any thread.
 */
final class UnregisteredSockets {
    private static final Logger LOG = Logger.getLogger(UnregisteredSockets.class.getName());
    private final int max;
    private final int maxPerSource;
    private final AtomicInteger count = new AtomicInteger();
    private final ConcurrentHashMap<InetAddress, Integer> perSource = new ConcurrentHashMap<>();
    /** Oldest first; entries no longer counted leave it on their own or when met. */
    private final Queue<Socket> waiting = new ConcurrentLinkedQueue<>();
    private final OncePer line = new OncePer(TimeUnit.MINUTES.toNanos(1));

    UnregisteredSockets(int max, int maxPerSource) {
        this.max = max;
        this.maxPerSource = maxPerSource;
    }

    /**
     * Counts {@code channel} until it registers ({@link Socket#leave}) or closes. One admission at a time (they run on
     * the accepted sockets' event loops, any number at once): a socket takes its place among the oldest as it is
     * counted and puts one out. Before, it was queued only after, so another admitted meanwhile could be queued ahead
     * and pass for the older (the edge then closed it and kept the older), and one that took a count past its limit
     * found none to close while those over it were all still being admitted: the limit stayed exceeded.
     */
    synchronized Socket admit(Channel channel) {
        InetAddress from = source(channel);
        if (from != null && perSource.merge(from, 1, Integer::sum) > maxPerSource) {
            closeOldest(s -> from.equals(s.from), "from " + from, maxPerSource);
        }
        if (count.incrementAndGet() > max) {
            closeOldest(s -> true, "in all", max);
        }
        Socket s = new Socket(channel, from);
        waiting.add(s);
        channel.closeFuture().addListener(f -> s.leave());
        return s;
    }

    /** The socket's source: its IPv4 address, or its IPv6 /64 (a host commonly has a whole one); null if unknown. */
    private static InetAddress source(Channel channel) {
        if (!(channel.remoteAddress() instanceof InetSocketAddress a) || a.getAddress() == null) {
            return null;
        }
        byte[] b = a.getAddress().getAddress();
        if (b.length == 16) {
            java.util.Arrays.fill(b, 8, 16, (byte) 0);
            try {
                return InetAddress.getByAddress(b);
            } catch (java.net.UnknownHostException impossible) {
                return null;
            }
        }
        return a.getAddress();
    }

    int count() {
        return count.get();
    }

    private void closeOldest(Predicate<Socket> which, String where, int limit) {
        for (Iterator<Socket> it = waiting.iterator(); it.hasNext(); ) {
            Socket s = it.next();
            if (!s.counted.get()) {
                it.remove();
            } else if (which.test(s) && s.leave()) { // taken from a registration that might complete meanwhile
                int leftOut = line.leftOutBeforeNow();
                if (leftOut >= 0) {
                    int closed = leftOut + 1;
                    LOG.info(() -> "tunnel port: " + limit + " sockets " + where + " have not registered yet, the most"
                            + " this edge holds: closed the oldest (" + closed + " since the last such line; "
                            + s.channel.remoteAddress() + " now)");
                }
                s.channel.close();
                return;
            }
        }
    }

    /** One accepted socket. */
    final class Socket {
        private final Channel channel;
        private final InetAddress from;
        private final AtomicBoolean counted = new AtomicBoolean(true);

        private Socket(Channel channel, InetAddress from) {
            this.channel = channel;
            this.from = from;
        }

        /**
         * No longer counted (it registers, or it closed); false if it was not counted any more: closed, or being
         * closed as the oldest, so it must not register.
         */
        boolean leave() {
            if (!counted.compareAndSet(true, false)) {
                return false;
            }
            count.decrementAndGet();
            if (from != null) {
                perSource.computeIfPresent(from, (k, n) -> n == 1 ? null : n - 1);
            }
            waiting.remove(this); // a few hundred at most
            return true;
        }
    }
}
