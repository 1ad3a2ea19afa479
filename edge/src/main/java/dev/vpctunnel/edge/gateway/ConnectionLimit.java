package dev.vpctunnel.edge.gateway;

import dev.vpctunnel.core.net.OncePer;
import dev.vpctunnel.core.net.OutOfFiles;
import io.netty.channel.Channel;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Logger;

/**
 * How many worker connections the gateway holds at once: by default its share of the process's open-file limit, so
 * that worker connections alone never use up the file descriptors the links, the admin API, the metrics endpoint
 * and the store need (a few thousand idle keep-alive connections did, and the edge could then take no link and
 * answer no API call until they went). At the limit, a new connection takes the place of the one that has been idle
 * longest (an HTTP/1.1 connection between requests, an h2c one with no stream open, or one that has sent nothing yet),
 * as nginx reuses keep-alive connections when it runs short; a client sends again on a pooled connection the server
 * closed. When no connection is idle, the new one is closed at once and a warning says so, once a minute.
 */
final class ConnectionLimit {
    private static final Logger LOG = Logger.getLogger(ConnectionLimit.class.getName());
    /** Overrides the limit (a number of connections; 0 or less: none). */
    static final String PROPERTY = "vpctunnel.gateway.maxConnections";
    /** File descriptors kept for everything but worker connections: at least this many, or a quarter of the limit. */
    static final int MIN_RESERVE = 256;
    private static final long BUSY = Long.MAX_VALUE;
    private static final long EVICTED = Long.MIN_VALUE;

    private final int max;
    private final Set<Slot> open = ConcurrentHashMap.newKeySet();
    private final AtomicInteger count = new AtomicInteger();
    private final OncePer warning = new OncePer(TimeUnit.MINUTES.toNanos(1));

    ConnectionLimit(int max) {
        this.max = max;
    }

    /** The limit for this process: the property, else the open-file limit less its reserve; none when unknown. */
    static ConnectionLimit forProcess() {
        long files = OutOfFiles.limit();
        long configured = Long.getLong(PROPERTY, 0);
        long max = configured > 0 ? configured
                : files > 0 ? Math.max(16, files - Math.max(MIN_RESERVE, files / 4)) : Integer.MAX_VALUE;
        return new ConnectionLimit((int) Math.min(Integer.MAX_VALUE, max));
    }

    int max() {
        return max;
    }

    /** Connections held now. */
    int open() {
        return count.get();
    }

    /**
     * A new connection, idle since its accept: its slot, or null when it must be closed (the limit is reached and no
     * connection is idle). The slot leaves the count when the channel closes.
     */
    Slot admit(Channel ch) {
        if (count.incrementAndGet() > max && !evictOldestIdle()) {
            count.decrementAndGet();
            int left = warning.leftOutBeforeNow();
            if (left >= 0) {
                LOG.warning("the worker gateway holds " + max + " connections, its limit, and none of them is idle: new"
                        + " connections are closed at once" + (left > 0 ? " (" + left + " more since the last warning)" : "")
                        + "; raise the edge's open-file limit (ulimit -n, or LimitNOFILE= in its systemd unit: the gateway"
                        + " may hold three quarters of it) or -D" + PROPERTY + "=N");
            }
            return null;
        }
        Slot slot = new Slot(ch);
        open.add(slot);
        ch.closeFuture().addListener(f -> {
            open.remove(slot);
            count.decrementAndGet();
        });
        return slot;
    }

    /** Closes the connection idle longest, if any: true when one was chosen (it closes on its own event loop). */
    private boolean evictOldestIdle() {
        while (true) {
            Slot oldest = null;
            long since = BUSY;
            for (Slot s : open) {
                long t = s.idleSince.get();
                if (t != BUSY && t != EVICTED && (oldest == null || t - since < 0)) {
                    oldest = s;
                    since = t;
                }
            }
            if (oldest == null) {
                return false;
            }
            if (oldest.idleSince.compareAndSet(since, EVICTED)) { // else it got busy meanwhile, or another accept took it
                Slot chosen = oldest;
                long idleSince = since;
                chosen.channel.eventLoop().execute(() -> {
                    if (chosen.idleSince.get() == EVICTED) { // not busy since: nothing of a request was read
                        LOG.fine(() -> "worker connection " + chosen.channel.remoteAddress() + " idle for "
                                + TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - idleSince) + " ms closed: the gateway is at its"
                                + " limit of " + max + " connections");
                        chosen.channel.close();
                    }
                });
                return true;
            }
        }
    }

    /** One worker connection's state, set on its event loop: busy with a request, or idle since when. */
    static final class Slot {
        private final Channel channel;
        private final AtomicLong idleSince = new AtomicLong(System.nanoTime());

        private Slot(Channel channel) {
            this.channel = channel;
        }

        /** A request is under way (its first bytes came; on h2c, a stream is open): not to be closed for another. */
        void busy() {
            idleSince.set(BUSY);
        }

        /** Every request on it has been answered and no next one has begun. */
        void idle() {
            idleSince.set(System.nanoTime());
        }
    }
}
