package dev.vpctunnel.connector.origin;

import io.netty.channel.EventLoop;
import io.netty.channel.embedded.EmbeddedChannel;
import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The pool on its own, one EmbeddedChannel per origin connection: a destination whose last idle connection leaves the
 * pool is forgotten, so many distinct destinations over time do not grow the pool's map.
 */
class OriginPoolTest {
    private static final long IDLE_MS = 1_000;
    private static final PoolKey KEY = new PoolKey(InetAddress.getLoopbackAddress(), 8080, false, "");

    private static EmbeddedChannel channel(OriginPool pool, PoolKey key) {
        EmbeddedChannel ch = new EmbeddedChannel(new OriginConnection(key, pool));
        ch.freezeTime();
        return ch;
    }

    private static OriginConnection conn(EmbeddedChannel ch) {
        return ch.pipeline().get(OriginConnection.class);
    }

    @Test
    void acquiringTheLastIdleConnectionForgetsTheKey() {
        OriginPool pool = new OriginPool(4, IDLE_MS);
        EmbeddedChannel ch = channel(pool, KEY);
        EventLoop loop = ch.eventLoop();
        pool.release(conn(ch));
        assertEquals(Set.of(KEY), pool.keys(loop));
        assertSame(conn(ch), pool.acquire(loop, KEY));
        assertEquals(Set.of(), pool.keys(loop));
        assertNull(pool.acquire(loop, KEY));
        assertEquals(Set.of(), pool.keys(loop));
        ch.finishAndReleaseAll();
    }

    @Test
    void idleTimeoutOfTheLastConnectionForgetsTheKey() {
        OriginPool pool = new OriginPool(4, IDLE_MS);
        EmbeddedChannel ch = channel(pool, KEY);
        pool.release(conn(ch));
        ch.advanceTimeBy(IDLE_MS + 1, TimeUnit.MILLISECONDS);
        ch.runScheduledPendingTasks();
        ch.runPendingTasks();
        assertFalse(ch.isOpen(), "idle connection not closed after the idle timeout");
        assertEquals(Set.of(), pool.keys(ch.eventLoop()));
        ch.finishAndReleaseAll();
    }

    @Test
    void anOriginsShorterKeepAliveTimeoutClosesTheConnectionSooner() {
        OriginPool pool = new OriginPool(4, 30_000);
        EmbeddedChannel ch = channel(pool, KEY);
        conn(ch).holdMillis = 4_000; // Keep-Alive: timeout=5
        pool.release(conn(ch));
        ch.advanceTimeBy(3_900, TimeUnit.MILLISECONDS);
        ch.runScheduledPendingTasks();
        assertTrue(ch.isOpen(), "closed before its time");
        ch.advanceTimeBy(200, TimeUnit.MILLISECONDS);
        ch.runScheduledPendingTasks();
        ch.runPendingTasks();
        assertFalse(ch.isOpen(), "kept past what the origin said");
        assertEquals(Set.of(), pool.keys(ch.eventLoop()));
        ch.finishAndReleaseAll();
    }

    @Test
    void aKeepAliveTimeoutOfZeroIsNotPooled() {
        OriginPool pool = new OriginPool(4, 30_000);
        EmbeddedChannel ch = channel(pool, KEY);
        conn(ch).holdMillis = 0;
        pool.release(conn(ch));
        assertFalse(ch.isOpen());
        assertEquals(Set.of(), pool.keys(ch.eventLoop()));
        ch.finishAndReleaseAll();
    }

    @Test
    void evictingTheLastConnectionForgetsTheKey() {
        OriginPool pool = new OriginPool(4, IDLE_MS);
        EmbeddedChannel ch = channel(pool, KEY);
        pool.release(conn(ch));
        ch.close(); // the origin closed it while idle: channelInactive evicts it
        ch.runPendingTasks();
        assertEquals(Set.of(), pool.keys(ch.eventLoop()));
        ch.finishAndReleaseAll();
    }

    @Test
    void aConnectionThePoolDoesNotKeepLeavesNoKey() {
        OriginPool pool = new OriginPool(0, IDLE_MS);
        EmbeddedChannel ch = channel(pool, KEY);
        pool.release(conn(ch));
        assertFalse(ch.isOpen());
        assertEquals(Set.of(), pool.keys(ch.eventLoop()));
        ch.finishAndReleaseAll();
    }
}
