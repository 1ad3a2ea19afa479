package dev.vpctunnel.core.net;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What each signal does, by its time: the first drains, one within 50 ms is the same stop, a later one halts. */
class ShutdownTest {
    private static final long MS = 1_000_000L;

    @Test
    void theSameStopTwiceDrainsAndALaterOneHalts() {
        Shutdown s = new Shutdown();
        long t = 123_456_789_000L;
        assertEquals(Shutdown.Action.DRAIN, s.signal("TERM", t));
        assertEquals(Shutdown.Action.ECHO, s.signal("TERM", t + 2 * MS), "GNU timeout's second SIGTERM, to the group");
        assertEquals(Shutdown.Action.ECHO, s.signal("INT", t + 49 * MS));
        // handled on its own thread, it may read the clock before the first handler did
        assertEquals(Shutdown.Action.ECHO, s.signal("TERM", t - MS));
        assertEquals(Shutdown.Action.IGNORE, s.signal("HUP", t + 500 * MS), "a second SIGHUP never halts");
        assertEquals(Shutdown.Action.HALT, s.signal("TERM", t + 60 * MS), "an operator asking again");
        assertEquals(Shutdown.Action.HALT, s.signal("INT", t + 5_000 * MS));
    }

    @Test
    void aRequestStartsTheDrainAsASignalWould() {
        Shutdown s = new Shutdown();
        s.request();
        assertTrue(s.requested());
        assertEquals(Shutdown.Action.HALT, s.signal("TERM", System.nanoTime() + 100 * MS));
    }

    @Test
    void aFirstSighupDrains() {
        Shutdown s = new Shutdown();
        assertEquals(Shutdown.Action.DRAIN, s.signal("HUP", 1));
        assertEquals(Shutdown.Action.IGNORE, s.signal("HUP", 2));
    }
}
