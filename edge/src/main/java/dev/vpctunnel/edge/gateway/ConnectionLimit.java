package dev.vpctunnel.edge.gateway;

import dev.vpctunnel.core.net.OncePer;
import dev.vpctunnel.core.net.OutOfFiles;
import io.netty.channel.Channel;
import io.netty.channel.ChannelOutboundBuffer;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
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
    /** Overrides the limit (a number of connections; 0 or less: the default). */
    static final String PROPERTY = "vpctunnel.gateway.maxConnections";
    /**
     * File descriptors kept for everything but worker connections: at least this many, or a quarter of the limit (the
     * JVM raises its soft open-file limit to the hard one, so that is the hard limit: `ulimit -Hn`, LimitNOFILE=).
     */
    static final int MIN_RESERVE = 256;
    /** An open-file limit under this is warned about at start: a few hundred connections and links use it up. */
    private static final long LOW_FILES = 1024;
    private static final long BUSY = Long.MAX_VALUE;
    private static final long EVICTED = Long.MIN_VALUE;
    private static final long GONE = Long.MIN_VALUE + 1;
    /** Idle slots looked at for the oldest, at most, per accept at the limit. */
    private static final int SAMPLE = 256;

    private final int max;
    private final Set<Slot> open = ConcurrentHashMap.newKeySet();
    private final AtomicInteger count = new AtomicInteger();
    /** Slots idle now: with none, a new connection at the limit is refused without looking at every slot. */
    private final LongAdder idle = new LongAdder();
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
        if (files > 0 && files < LOW_FILES) {
            LOG.warning("the edge's open-file limit is " + files + ": the worker gateway may hold " + Math.min(max, files)
                    + " connections and the links, the admin API, metrics and the store share what is left; raise it"
                    + " (LimitNOFILE= in the edge's systemd unit, ulimit -n), e.g. to 65536");
        }
        return new ConnectionLimit((int) Math.min(Integer.MAX_VALUE, max));
    }

    int max() {
        return max;
    }

    /** Connections held now. */
    int open() {
        return count.get();
    }

    /** Connections idle now. */
    int idle() {
        return (int) idle.sum();
    }

    /**
     * A new connection, idle since its accept: its slot, or null when it must be closed (the limit is reached and no
     * connection is idle). The slot leaves the count when the channel closes.
     */
    Slot admit(Channel ch) {
        if (count.incrementAndGet() > max && (idle.sum() <= 0 || !evictOldestIdle())) {
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
        idle.increment();
        open.add(slot);
        ch.closeFuture().addListener(f -> {
            open.remove(slot);
            slot.gone();
            count.decrementAndGet();
        });
        return slot;
    }

    /**
     * Closes the connection idle longest of the first {@link #SAMPLE} idle ones met (the slots come in no order of
     * age, so that is close to the oldest of all, at a bounded cost per accept however many are held), if any is idle:
     * true when one was chosen. It closes on its own event loop, unless its last answer is still being written (it was
     * counted idle when that answer was handed to the socket): then it stays, idle as before, and this accept goes
     * over the limit by one (the reserve of file descriptors takes that).
     */
    private boolean evictOldestIdle() {
        while (true) {
            Slot oldest = null;
            long since = BUSY;
            int seen = 0;
            for (java.util.Iterator<Slot> it = open.iterator(); it.hasNext() && seen < SAMPLE; ) {
                Slot s = it.next();
                long t = s.idleSince.get();
                if (isIdle(t)) {
                    seen++;
                    if (oldest == null || t - since < 0) {
                        oldest = s;
                        since = t;
                    }
                }
            }
            if (oldest == null) {
                return false;
            }
            if (oldest.idleSince.compareAndSet(since, EVICTED)) { // else it got busy meanwhile, or another accept took it
                idle.decrement();
                Slot chosen = oldest;
                long idleSince = since;
                chosen.channel.eventLoop().execute(() -> {
                    ChannelOutboundBuffer unsent = chosen.channel.unsafe().outboundBuffer();
                    if (unsent != null && unsent.totalPendingWriteBytes() > 0) { // a close would drop the rest of its answer
                        if (chosen.idleSince.compareAndSet(EVICTED, idleSince)) {
                            idle.increment();
                        }
                        return;
                    }
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
    final class Slot {
        private final Channel channel;
        private final AtomicLong idleSince = new AtomicLong(System.nanoTime());

        private Slot(Channel channel) {
            this.channel = channel;
        }

        /** A request is under way (its first bytes came; on h2c, a stream is open): not to be closed for another. */
        void busy() {
            if (isIdle(moveTo(BUSY))) {
                idle.decrement();
            }
        }

        /** Every request on it has been answered and no next one has begun. */
        void idle() {
            long was = moveTo(System.nanoTime());
            if (was == BUSY || was == EVICTED) {
                idle.increment();
            }
        }

        /** Closed: no longer counted, whatever its handlers say after. */
        private void gone() {
            if (isIdle(moveTo(GONE))) {
                idle.decrement();
            }
        }

        /** Sets the state unless the slot is gone: the state it had. */
        private long moveTo(long state) {
            long was;
            do {
                was = idleSince.get();
                if (was == GONE) {
                    return GONE;
                }
            } while (!idleSince.compareAndSet(was, state));
            return was;
        }
    }

    /** Whether a slot's state is an idle time. */
    private static boolean isIdle(long state) {
        return state != BUSY && state != EVICTED && state != GONE;
    }
}
