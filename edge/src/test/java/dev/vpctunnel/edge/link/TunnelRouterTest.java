package dev.vpctunnel.edge.link;

import io.netty.channel.embedded.EmbeddedChannel;
import org.junit.jupiter.api.Test;

import java.util.Map;
import java.util.Set;
import java.util.UUID;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TunnelRouterTest {
    @Test
    void aTunnelWithoutLinksCountsZeroUntilItIsDeleted() {
        TunnelRouter router = new TunnelRouter();
        UUID a = UUID.randomUUID();
        UUID b = UUID.randomUUID();
        EdgeLink a0 = new EdgeLink(new EmbeddedChannel(), a, "c1", 0, "test", "edge", Long.MAX_VALUE, () -> { });
        EdgeLink a1 = new EdgeLink(new EmbeddedChannel(), a, "c1", 1, "test", "edge", Long.MAX_VALUE, () -> { });
        EmbeddedChannel bChannel = new EmbeddedChannel();
        EdgeLink b0 = new EdgeLink(bChannel, b, "c2", 0, "test", "edge", Long.MAX_VALUE, () -> { });
        router.add(a0);
        router.add(a1);
        router.add(b0);
        assertEquals(Map.of(a, 2, b, 1), router.countsByTunnel());
        router.remove(a0);
        router.remove(a1);
        router.remove(a1); // twice: counted once
        assertEquals(Map.of(a, 0, b, 1), router.countsByTunnel(), "all of a's connectors gone: a says 0 (alerts fire)");
        assertEquals(1, router.count());

        router.closeTunnelsNotIn(Set.of(a)::contains); // b deleted: its links close, its entry goes once it is empty
        assertFalse(bChannel.isOpen());
        router.remove(b0);
        router.closeTunnelsNotIn(Set.of(a)::contains);
        assertEquals(Map.of(a, 0), router.countsByTunnel());
        assertEquals(0, router.count());
        router.add(a0);
        assertEquals(Map.of(a, 1), router.countsByTunnel());
        assertTrue(router.pick(a, null).isPresent());
    }

    @Test
    void aFetchARefusingLinkDidNotTakeGoesToAnotherConnector() {
        TunnelRouter router = new TunnelRouter();
        UUID t = UUID.randomUUID();
        EdgeLink a0 = new EdgeLink(new EmbeddedChannel(), t, "draining", 0, "test", "edge", Long.MAX_VALUE, () -> { });
        EdgeLink a1 = new EdgeLink(new EmbeddedChannel(), t, "draining", 1, "test", "edge", Long.MAX_VALUE, () -> { });
        EdgeLink b0 = new EdgeLink(new EmbeddedChannel(), t, "other", 0, "test", "edge", Long.MAX_VALUE, () -> { });
        router.add(a0);
        router.add(a1);
        router.add(b0);
        for (int i = 0; i < 12; i++) { // ties rotate: each start in the list is tried
            assertEquals(b0, router.pickInstead(t, a0, null).orElseThrow(),
                    "a1 belongs to the connector that refused, whose drain notice on a1 may not have arrived yet");
        }
        b0.markDraining();
        assertEquals(a1, router.pickInstead(t, a0, null).orElseThrow(), "no other connector: another link of the same one");
        a1.markDraining();
        assertTrue(router.pickInstead(t, a0, null).isEmpty());
    }
}
