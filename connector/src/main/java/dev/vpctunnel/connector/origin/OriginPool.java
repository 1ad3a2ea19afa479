package dev.vpctunnel.connector.origin;

import io.netty.channel.EventLoop;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * Idle HTTP/1.1 keep-alive connections per (address, port, scheme, SNI), one pool per event loop so a pool is only
 * touched by its loop. Bounded idle count per key and idle timeout (shorter when the origin said it closes sooner:
 * {@link KeepAliveHint}); a key is forgotten once it has no idle connection.
 */
final class OriginPool implements AutoCloseable {
    private final int maxIdlePerKey;
    private final long idleTimeoutMs;
    private final Map<EventLoop, Map<PoolKey, ArrayDeque<OriginConnection>>> loops = new ConcurrentHashMap<>();
    private volatile boolean closed;

    OriginPool(int maxIdlePerKey, long idleTimeoutMs) {
        this.maxIdlePerKey = maxIdlePerKey;
        this.idleTimeoutMs = idleTimeoutMs;
    }

    /** An idle, open connection for key on loop, or null. Call on loop. */
    OriginConnection acquire(EventLoop loop, PoolKey key) {
        Map<PoolKey, ArrayDeque<OriginConnection>> byKey = idle(loop);
        ArrayDeque<OriginConnection> idle = byKey.get(key);
        if (idle == null) {
            return null;
        }
        OriginConnection found = null;
        OriginConnection c;
        while (found == null && (c = idle.pollLast()) != null) {
            if (c.idleTimer != null) {
                c.idleTimer.cancel(false);
                c.idleTimer = null;
            }
            if (c.channel().isActive() && System.nanoTime() - c.idleUntil < 0) {
                c.reused = true;
                found = c;
            } else {
                c.channel().close(); // its time is up (a busy loop ran the timer late): the origin may be closing it
            }
        }
        if (idle.isEmpty()) {
            byKey.remove(key);
        }
        return found;
    }

    /** Returns a connection after a complete keep-alive exchange. Call on the connection's loop. */
    void release(OriginConnection c) {
        c.listener(null);
        EventLoop loop = c.channel().eventLoop();
        Map<PoolKey, ArrayDeque<OriginConnection>> byKey = idle(loop);
        ArrayDeque<OriginConnection> idle = byKey.get(c.key());
        long hold = c.holdMillis == KeepAliveHint.NONE ? idleTimeoutMs : Math.min(idleTimeoutMs, c.holdMillis);
        if (closed || hold <= 0 || !c.channel().isActive() || !c.clean()
                || (idle == null ? 0 : idle.size()) >= maxIdlePerKey) {
            c.channel().close();
            return;
        }
        if (idle == null) {
            idle = new ArrayDeque<>();
            byKey.put(c.key(), idle);
        }
        idle.addLast(c);
        c.idleUntil = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(hold);
        c.idleTimer = loop.schedule(() -> {
            c.idleTimer = null;
            if (remove(loop, c)) {
                c.channel().close();
            }
        }, hold, TimeUnit.MILLISECONDS);
        // Keep one read pending so a close (or stray bytes) from the origin is noticed while idle.
        c.channel().read();
    }

    /** Forgets a connection that closed. Call on the connection's loop. */
    void evict(OriginConnection c) {
        if (remove(c.channel().eventLoop(), c) && c.idleTimer != null) {
            c.idleTimer.cancel(false);
            c.idleTimer = null;
        }
    }

    /** Takes c out of its key's idle connections, and forgets the key once it has none (many destinations over time
     * must not grow the map). Whether c was idle in the pool. Call on loop. */
    private boolean remove(EventLoop loop, OriginConnection c) {
        Map<PoolKey, ArrayDeque<OriginConnection>> byKey = loops.get(loop);
        ArrayDeque<OriginConnection> idle = byKey == null ? null : byKey.get(c.key());
        if (idle == null || !idle.remove(c)) {
            return false;
        }
        if (idle.isEmpty()) {
            byKey.remove(c.key());
        }
        return true;
    }

    /** The keys loop currently holds an entry for (a copy). Call on loop; for tests. */
    Set<PoolKey> keys(EventLoop loop) {
        Map<PoolKey, ArrayDeque<OriginConnection>> byKey = loops.get(loop);
        return byKey == null ? Set.of() : Set.copyOf(byKey.keySet());
    }

    private Map<PoolKey, ArrayDeque<OriginConnection>> idle(EventLoop loop) {
        return loops.computeIfAbsent(loop, l -> new HashMap<>());
    }

    @Override
    public void close() {
        closed = true;
        for (var e : loops.entrySet()) {
            e.getKey().execute(() -> {
                List<ArrayDeque<OriginConnection>> all = new ArrayList<>(e.getValue().values());
                e.getValue().clear();
                for (ArrayDeque<OriginConnection> q : all) {
                    OriginConnection c;
                    while ((c = q.poll()) != null) {
                        c.channel().close();
                    }
                }
            });
        }
    }
}
