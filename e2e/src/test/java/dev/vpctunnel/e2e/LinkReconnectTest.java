package dev.vpctunnel.e2e;

import dev.vpctunnel.connector.link.LinkSupervisor;
import dev.vpctunnel.core.link.TunnelToken;
import dev.vpctunnel.core.testing.LogCapture;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.logging.Level;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static dev.vpctunnel.e2e.LinkHarness.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** How links come back: the backoff of links cut soon after they register. */
class LinkReconnectTest {
    private static final Duration WAIT = Duration.ofSeconds(20);
    private static final Pattern CEILING = Pattern.compile("link #0: next attempt in \\d+ ms \\(backoff up to (\\d+) ms\\)");

    /**
     * An edge or a box on the way that cuts every link soon after it registers: each reconnect waits longer (a link
     * that registered started its backoff over, and every connector came back within a second, again and again).
     */
    @Test
    void aLinkCutSoonAfterItRegistersBacksOffFurtherEachTime() throws Exception {
        // after the harness, which sets up logging afresh (LogManager.reset drops every handler)
        try (LinkHarness h = new LinkHarness(); FreezableProxy box = new FreezableProxy(h.edge.port());
             LogCapture log = LogCapture.of("dev.vpctunnel.connector.link.LinkSlot", Level.FINE)) {
            TunnelToken t = h.newTunnel();
            LinkSupervisor c = h.connect(t, 1, List.of(box.port()));
            for (int cut = 1; cut <= 3; cut++) {
                await("link registered", WAIT, () -> c.registeredLinks() == 1);
                box.cutAll();
                int n = cut;
                await("reconnect scheduled after cut " + n, WAIT, () -> ceilings(log).size() >= n);
            }
            assertEquals(List.of(1000L, 2000L, 4000L), ceilings(log));
            await("link registered after the third cut", WAIT, () -> c.registeredLinks() == 1);
        }
    }

    /** The backoff ceilings of link #0's reconnects so far. */
    private static List<Long> ceilings(LogCapture log) {
        return log.messages().stream().map(CEILING::matcher).filter(Matcher::matches).map(m -> Long.parseLong(m.group(1))).toList();
    }
}
