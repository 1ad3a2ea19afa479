package dev.vpctunnel.e2e;

import dev.vpctunnel.connector.link.LinkSupervisor;
import dev.vpctunnel.core.link.TunnelToken;
import dev.vpctunnel.core.testing.LogCapture;
import dev.vpctunnel.edge.link.TunnelServer;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.Level;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static dev.vpctunnel.e2e.LinkHarness.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** How links come back: the backoff of links cut soon after they register. */
class LinkReconnectTest {
    private static final Duration WAIT = Duration.ofSeconds(20);
    /** The line of a link cut after it registered: why, and when it is retried (drawn below the ceiling). */
    private static final Pattern CEILING = Pattern.compile("link #0 down( \\(.*\\))?; retrying in (\\d+ms|[\\d.]+s)"
            + " \\(backoff up to (\\d+)s\\)");

    /**
     * An edge or a box on the way that cuts every link soon after it registers: each reconnect waits longer (a link
     * that registered started its backoff over, and every connector came back within a second, again and again).
     */
    @Test
    void aLinkCutSoonAfterItRegistersBacksOffFurtherEachTime() throws Exception {
        // after the harness, which sets up logging afresh (LogManager.reset drops every handler)
        try (LinkHarness h = new LinkHarness(); FreezableProxy box = new FreezableProxy(h.edge.port());
             LogCapture log = LogCapture.of("dev.vpctunnel.connector.link.LinkSlot", Level.INFO)) {
            TunnelToken t = h.newTunnel();
            LinkSupervisor c = h.connect(t, 1, List.of(box.port()));
            for (int cut = 1; cut <= 3; cut++) {
                await("link registered", WAIT, () -> c.registeredLinks() == 1);
                box.cutAll();
                int n = cut;
                await("reconnect scheduled after cut " + n, WAIT, () -> ceilings(log).size() >= n);
            }
            assertEquals(List.of(1L, 2L, 4L), ceilings(log));
            await("link registered after the third cut", WAIT, () -> c.registeredLinks() == 1);
        }
    }

    /**
     * An edge that refuses the registration for now (its directory cannot be read): one warning per attempt, saying
     * why and when the next attempt goes, as cloudflared's "Retrying connection in up to 1s".
     */
    @Test
    void aRetryableRefusalIsOneLineWithTheRetry() throws Exception {
        try (LinkHarness h = new LinkHarness();
             LogCapture log = LogCapture.of("dev.vpctunnel.connector.link.LinkSlot", Level.INFO)) {
            AtomicInteger tries = new AtomicInteger();
            TunnelServer refusing = h.secondEdge(LinkHarness.deadPort(), (id, account) -> { // dialed on after its close
                tries.incrementAndGet();
                return CompletableFuture.failedFuture(new IllegalStateException("store down"));
            });
            try {
                h.connect(h.newTunnel(), 1, List.of(refusing.port()));
                await("two refusals", WAIT, () -> tries.get() >= 2 && log.messages().size() >= 2);
                Pattern line = Pattern.compile("link #0: registration refused \\(retryable\\): .+; retrying in (\\d+ms|[\\d.]+s)"
                        + " \\((backoff up to \\d+s|as the edge asks)\\)");
                List<String> first = log.messages().subList(0, 2);
                assertTrue(first.stream().allMatch(m -> line.matcher(m).matches()), first.toString());
            } finally {
                refusing.close();
            }
        }
    }

    /**
     * An edge a link registered with, gone (restarting): its refusals are not said to be a wrong --edge (the hint about
     * --tunnel-listen is for an edge no link has reached, where it is the likely cause), and the drain it asked for as
     * it stopped is no warning.
     */
    @Test
    void anEdgeThatWentAwayAfterALinkRegisteredIsNotCalledAWrongEdge() throws Exception {
        try (LinkHarness h = new LinkHarness();
             LogCapture log = LogCapture.of("dev.vpctunnel.connector.link.LinkSlot", Level.INFO)) {
            TunnelServer gone = h.secondEdge(LinkHarness.deadPort(), h.authority()); // refused once closed
            TunnelToken t = h.newTunnel();
            LinkSupervisor c = h.connect(t, 1, List.of(gone.port()));
            await("link registered", WAIT, () -> c.registeredLinks() == 1);
            gone.drain(Duration.ofSeconds(5)); // as edge serve on SIGTERM: asks the links to drain, then closes
            gone.close();
            await("a refused attempt", WAIT, () -> log.messages().stream().anyMatch(m -> m.contains("Connection refused")));
            String refused = log.messages().stream().filter(m -> m.contains("Connection refused")).findFirst().orElseThrow();
            assertTrue(refused.startsWith("link #0: cannot reach edge 127.0.0.1:" + gone.port() + ": Connection refused; retrying in "),
                    refused);
            // the edge drained its links as it closed: said as such (at INFO), not as a link that went down unasked
            assertTrue(log.messages().stream().anyMatch(m -> m.startsWith("link #0 down: its edge asked it to drain")),
                    log.messages().toString());
        }
    }

    /** The backoff ceilings of link #0's reconnects so far. */
    private static List<Long> ceilings(LogCapture log) {
        return log.messages().stream().map(CEILING::matcher).filter(Matcher::matches).map(m -> Long.parseLong(m.group(3))).toList();
    }
}
