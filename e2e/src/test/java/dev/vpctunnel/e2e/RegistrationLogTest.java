package dev.vpctunnel.e2e;

import dev.vpctunnel.connector.link.LinkSupervisor;
import dev.vpctunnel.core.link.TunnelToken;
import dev.vpctunnel.core.testing.LogCapture;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What an unauthenticated peer can make the edge log when it registers with made-up values. */
class RegistrationLogTest {
    @Test
    void aHugeAccountIdIsClippedInTheEdgesLogAndAnswer() throws Exception {
        try (LinkHarness h = new LinkHarness();
             LogCapture log = LogCapture.of("dev.vpctunnel.edge.link.EdgeControlStream", Level.INFO)) {
            List<String> lines = log.messages();
            TunnelToken real = h.newTunnel();
            String account = "forged\nFAKE edge: registered tunnel " + "A".repeat(15 * 1024); // ~15 KB: under the 16 KB control message limit
            LinkSupervisor s = h.connect(new TunnelToken(account, real.tunnelId(), real.secret()), 1);
            String reason = s.permanentFailure().get(10, TimeUnit.SECONDS);
            assertTrue(reason.contains("unknown tunnel"), reason);
            assertTrue(reason.length() < 400, "the answer to the connector is clipped too: " + reason.length() + " chars");
            LinkHarness.await("the refusal is logged", java.time.Duration.ofSeconds(5),
                    () -> lines.stream().anyMatch(l -> l.contains("refused")));
            for (String l : lines) {
                assertTrue(l.length() < 400, "a log line of " + l.length() + " characters: " + l.substring(0, 200));
                assertFalse(l.contains("\n"), "a peer's newline starts a forged log line: " + l);
            }
            assertTrue(lines.stream().anyMatch(l -> l.contains("forged\\nFAKE edge: registered tunnel AAAA") && l.contains("…")),
                    lines.toString());
        }
    }
}
