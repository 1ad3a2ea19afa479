package dev.vpctunnel.edge.link;

import io.netty.channel.embedded.EmbeddedChannel;
import org.junit.jupiter.api.Test;

import java.util.Map;
import java.util.UUID;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TunnelRouterTest {
    @Test
    void aTunnelLeavesTheCountsWithItsLastLink() {
        TunnelRouter router = new TunnelRouter();
        UUID a = UUID.randomUUID();
        UUID b = UUID.randomUUID();
        EdgeLink a0 = new EdgeLink(new EmbeddedChannel(), a, "c1", 0, "test", "edge");
        EdgeLink a1 = new EdgeLink(new EmbeddedChannel(), a, "c1", 1, "test", "edge");
        EdgeLink b0 = new EdgeLink(new EmbeddedChannel(), b, "c2", 0, "test", "edge");
        router.add(a0);
        router.add(a1);
        router.add(b0);
        assertEquals(Map.of(a, 2, b, 1), router.countsByTunnel());
        router.remove(a0);
        router.remove(b0);
        router.remove(b0); // twice: counted once
        assertEquals(Map.of(a, 1), router.countsByTunnel(), "a tunnel without links is not reported with 0 links");
        assertEquals(1, router.count());
        router.remove(a1);
        assertTrue(router.countsByTunnel().isEmpty());
        assertEquals(0, router.count());
        router.add(a0); // and comes back with a new link
        assertEquals(Map.of(a, 1), router.countsByTunnel());
    }
}
