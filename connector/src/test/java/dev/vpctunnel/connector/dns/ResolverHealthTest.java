package dev.vpctunnel.connector.dns;

import org.junit.jupiter.api.Test;

import java.net.InetSocketAddress;
import java.util.List;

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
    void whenTheDemotionEndsOneLookupAsksTheServerFirstAndTheOthersDoNot() throws Exception {
        ResolverHealth h = new ResolverHealth(List.of(A, B), 50_000_000L);
        h.failed(A);
        h.answered(B);
        assertEquals(List.of(B, A), h.order());
        Thread.sleep(80);
        assertEquals(List.of(A, B), h.order(), "the probe");
        assertEquals(List.of(B, A), h.order(), "everyone else while the probe runs");
        h.failed(A);
        h.answered(B);
        assertEquals(List.of(B, A), h.order());
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
