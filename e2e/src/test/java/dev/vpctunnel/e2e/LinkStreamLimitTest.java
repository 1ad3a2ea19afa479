package dev.vpctunnel.e2e;

import dev.vpctunnel.edge.directory.ServiceBinding;
import dev.vpctunnel.edge.directory.ServiceRecord;
import dev.vpctunnel.edge.directory.TunnelRecord;
import dev.vpctunnel.edge.link.EdgeLink;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A link whose HTTP/2 stream IDs run out (2^30 streams: days of traffic on a busy link) is replaced, not left
 * registered and unusable: the edge asks its connector to drain it, the connector dials a new one. Here the limit is
 * 10 streams, each link retiring at its own point of the last eighth (9 or 10).
 */
class LinkStreamLimitTest {
    @Test
    void aLinkThatOpenedItsLastStreamsIsDrainedAndReplaced() throws Exception {
        try (TestOrigins origins = new TestOrigins();
             GatewayFixture f = new GatewayFixture("", 2, c -> c.withStreamsPerLink(10))) {
            TunnelRecord tunnel = f.tunnel("busy");
            f.connect(tunnel, 1, List.of());
            ServiceRecord web = f.service("web", origins.echoPort(), null, "127.0.0.1", null, tunnel.id());
            String token = f.worker("w", List.of(new ServiceBinding("WEB", web.id())));
            EdgeLink first = links(f.tunnels.router(), tunnel.id()).get(0);
            for (int i = 0; i < 9; i++) {
                RawHttp.Response r = f.fetch(token, "WEB", "http://api.internal/n" + i, "", null);
                assertEquals(200, r.status(), i + ": " + r.text());
            }
            for (int i = 9; i < 10 && !first.draining(); i++) {
                assertEquals(200, f.fetch(token, "WEB", "http://api.internal/n" + i, "", null).status());
            }
            assertTrue(first.draining(), "the link that opened its last stream takes no more");
            LinkHarness.await("the connector closes the drained link", Duration.ofSeconds(10), () -> !first.channel().isOpen());
            LinkHarness.await("a new link", Duration.ofSeconds(10),
                    () -> links(f.tunnels.router(), tunnel.id()).stream().anyMatch(l -> l != first && l.usable()));
            RawHttp.Response r = f.fetch(token, "WEB", "http://api.internal/after", "", null);
            assertEquals(200, r.status(), r.text());
            assertTrue(r.text().contains("path=/after"), r.text());
        }
    }

    private static List<EdgeLink> links(dev.vpctunnel.edge.link.TunnelRouter router, java.util.UUID tunnel) {
        return router.all().stream().filter(l -> l.tunnelId().equals(tunnel)).toList();
    }
}
