package dev.vpctunnel.connector.dns;

import org.junit.jupiter.api.Test;

import java.net.InetSocketAddress;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;

class ResolverHealthTest {
    private static final InetSocketAddress A = new InetSocketAddress("10.0.0.1", 53);
    private static final InetSocketAddress B = new InetSocketAddress("10.0.0.2", 53);

    @Test
    void aServerThatFailedWhileAnotherAnsweredIsAskedLastUntilItAnswers() {
        ResolverHealth h = new ResolverHealth(List.of(A, B));
        assertEquals(List.of(A, B), h.order());
        h.failed(A);
        h.answered(B);
        assertEquals(List.of(B, A), h.order());
        h.answered(A); // e.g. the lookup that asked it last got its answer after all
        assertEquals(List.of(A, B), h.order());
    }

    /** [good, dead]: a packet lost on the way to the good one must not put the dead, never asked one first. */
    @Test
    void aFailureWithoutAnotherServerAnsweringDemotesNothing() {
        ResolverHealth h = new ResolverHealth(List.of(A, B));
        h.answered(A);
        h.failed(A); // a lost packet
        h.failed(B); // the dead one, tried next
        assertEquals(List.of(A, B), h.order());
    }

    @Test
    void whenTheDemotionEndsOneLookupAsksTheServerFirstAndTheOthersDoNot() {
        AtomicLong clock = new AtomicLong(-5_000_000_000L); // any origin, negative included
        ResolverHealth h = new ResolverHealth(List.of(A, B), 30_000_000_000L, clock::get);
        clock.addAndGet(1_000);
        h.failed(A);
        clock.addAndGet(1_000);
        h.answered(B);
        clock.addAndGet(29_000_000_000L);
        assertEquals(List.of(B, A), h.order(), "still demoted after 29 s");
        clock.addAndGet(2_000_000_000L);
        assertEquals(List.of(A, B), h.order(), "the probe");
        assertEquals(List.of(B, A), h.order(), "everyone else while the probe runs");
        clock.addAndGet(5_000_000_000L);
        h.failed(A); // the probe timed out, and the lookup got its answer from B
        clock.addAndGet(1_000);
        h.answered(B);
        clock.addAndGet(29_000_000_000L);
        assertEquals(List.of(B, A), h.order(), "demoted again");
    }

    @Test
    void theSameAddressTwiceIsOneServer() {
        ResolverHealth h = new ResolverHealth(List.of(A, A, B));
        assertEquals(List.of(A, B), h.order());
        h.failed(A);
        h.answered(B);
        assertEquals(List.of(B, A), h.order());
    }
}
