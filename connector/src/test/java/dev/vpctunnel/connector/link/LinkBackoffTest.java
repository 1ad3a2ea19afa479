package dev.vpctunnel.connector.link;

import dev.vpctunnel.core.net.Backoff;
import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** A link's waits between attempts, and how its retry line says them. */
class LinkBackoffTest {
    /** Always the longest wait the backoff allows: the ceilings show. */
    private static LinkBackoff longest() {
        return new LinkBackoff(new Backoff(Duration.ofSeconds(1), Backoff.CAP, bound -> bound - 1));
    }

    @Test
    void theWaitsDoubleUpToTheCapAndSayBoth() {
        LinkBackoff b = longest();
        StringBuilder said = new StringBuilder();
        for (int i = 0; i < 8; i++) {
            said.append(b.next()).append('|');
        }
        assertEquals("in 1s (backoff up to 1s)|in 2s (backoff up to 2s)|in 4s (backoff up to 4s)|in 8s (backoff up to 8s)|"
                + "in 16s (backoff up to 16s)|in 32s (backoff up to 32s)|in 32s (backoff up to 32s)|in 32s (backoff up to 32s)|",
                said.toString());
    }

    @Test
    void theEdgesRequestWinsWhenLongerAndOnlyOnce() {
        LinkBackoff b = longest();
        b.edgeAsksToWait(30_000);
        LinkBackoff.Wait w = b.next();
        assertEquals(Duration.ofSeconds(30), w.delay());
        assertEquals("in 30s (as the edge asks)", w.toString());
        assertEquals("in 2s (backoff up to 2s)", b.next().toString(), "used up by the attempt it delayed");
        b.edgeAsksToWait(500); // shorter than the backoff's wait: the backoff's
        assertEquals("in 4s (backoff up to 4s)", b.next().toString());
        b.edgeAsksToWait(3_600_000);
        assertEquals(Duration.ofMinutes(5), b.next().delay(), "capped at 5 minutes");
    }

    @Test
    void aLinkThatDropsSoonBacksOffFurther_oneDrainedByItsEdgeStartsOver() {
        LinkBackoff b = longest();
        b.next();
        b.next();
        b.registered();
        b.dropped(false); // up for less than STABLE: cut soon after it registered
        assertEquals("in 4s (backoff up to 4s)", b.next().toString());
        b.registered();
        b.dropped(true);
        assertEquals("in 1s (backoff up to 1s)", b.next().toString());
    }

    @Test
    void secondsAreShownToATenthFromOneSecondUp() {
        assertEquals("0ms", LinkBackoff.seconds(0));
        assertEquals("999ms", LinkBackoff.seconds(999));
        assertEquals("1s", LinkBackoff.seconds(1000));
        assertEquals("5.3s", LinkBackoff.seconds(5_270));
        assertEquals("60s", LinkBackoff.seconds(59_990));
    }
}
