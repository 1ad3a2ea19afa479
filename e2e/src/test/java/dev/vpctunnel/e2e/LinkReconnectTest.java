package dev.vpctunnel.e2e;

import dev.vpctunnel.connector.link.LinkSupervisor;
import dev.vpctunnel.core.link.TunnelToken;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
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
        List<Long> ceilings = new CopyOnWriteArrayList<>();
        Logger slotLog = Logger.getLogger("dev.vpctunnel.connector.link.LinkSlot");
        Level before = slotLog.getLevel();
        Handler capture = new Handler() {
            @Override
            public void publish(LogRecord r) {
                Matcher m = CEILING.matcher(r.getMessage());
                if (m.matches()) {
                    ceilings.add(Long.parseLong(m.group(1)));
                }
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
        slotLog.setLevel(Level.FINE);
        slotLog.addHandler(capture);
        try (LinkHarness h = new LinkHarness(); FreezableProxy box = new FreezableProxy(h.edge.port())) {
            TunnelToken t = h.newTunnel();
            LinkSupervisor c = h.connect(t, 1, List.of(box.port()));
            for (int cut = 1; cut <= 3; cut++) {
                await("link registered", WAIT, () -> c.registeredLinks() == 1);
                box.cutAll();
                int n = cut;
                await("reconnect scheduled after cut " + n, WAIT, () -> ceilings.size() >= n);
            }
            assertEquals(List.of(1000L, 2000L, 4000L), ceilings);
            await("link registered after the third cut", WAIT, () -> c.registeredLinks() == 1);
        } finally {
            slotLog.removeHandler(capture);
            slotLog.setLevel(before);
        }
    }
}
