package dev.vpctunnel.connector.origin;

import io.netty.channel.EventLoop;

import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * Idle HTTP/1.1 keep-alive connections per (address, port, scheme, SNI), one pool per event loop so a pool is only
 * touched by its loop. Bounded idle count per key and idle timeout.
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
        ArrayDeque<OriginConnection> idle = idle(loop).get(key);
        OriginConnection c;
        while (idle != null && (c = idle.pollLast()) != null) {
            if (c.idleTimer != null) {
                c.idleTimer.cancel(false);
                c.idleTimer = null;
            }
            if (c.channel().isActive()) {
                c.reused = true;
                return c;
            }
        }
        return null;
    }

    /** Returns a connection after a complete keep-alive exchange. Call on the connection's loop. */
    void release(OriginConnection c) {
        c.listener(null);
        EventLoop loop = c.channel().eventLoop();
        ArrayDeque<OriginConnection> idle = idle(loop).computeIfAbsent(c.key(), k -> new ArrayDeque<>());
        if (closed || !c.channel().isActive() || idle.size() >= maxIdlePerKey) {
            c.channel().close();
            return;
        }
        idle.addLast(c);
        c.idleTimer = loop.schedule(() -> {
            c.idleTimer = null;
            if (idle.remove(c)) {
                c.channel().close();
            }
        }, idleTimeoutMs, TimeUnit.MILLISECONDS);
        // Keep one read pending so a close (or stray bytes) from the origin is noticed while idle.
        c.channel().read();
    }

    /** Forgets a connection that closed. Call on the connection's loop. */
    void evict(OriginConnection c) {
        ArrayDeque<OriginConnection> idle = idle(c.channel().eventLoop()).get(c.key());
        if (idle != null && idle.remove(c) && c.idleTimer != null) {
            c.idleTimer.cancel(false);
            c.idleTimer = null;
        }
    }

    private Map<PoolKey, ArrayDeque<OriginConnection>> idle(EventLoop loop) {
        return loops.computeIfAbsent(loop, l -> new HashMap<>());
    }

    @Override
    public void close() {
        closed = true;
        for (var e : loops.entrySet()) {
            e.getKey().execute(() -> {
                for (ArrayDeque<OriginConnection> q : e.getValue().values()) {
                    OriginConnection c;
                    while ((c = q.poll()) != null) {
                        c.channel().close();
                    }
                }
            });
        }
    }
}
