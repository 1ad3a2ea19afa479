package dev.vpctunnel.e2e;

import dev.vpctunnel.connector.link.LinkSupervisor;
import dev.vpctunnel.core.link.TunnelToken;
import dev.vpctunnel.edge.link.EdgeLink;
import dev.vpctunnel.edge.link.TunnelAuthority;
import dev.vpctunnel.edge.link.TunnelServer;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static dev.vpctunnel.e2e.LinkHarness.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * What happens while a link is still registering (the edge's lookup of the tunnel is slow) is not lost when the
 * registration completes: a drain the connector began, a deletion of the tunnel.
 */
class LinkRegistrationRaceTest {
    private static final Duration WAIT = Duration.ofSeconds(20);

    /**
     * A connector that starts draining while one of its links registers: when that registration completes, the edge
     * learns at once that the link drains, instead of sending it fetches the connector refuses until the drain is over.
     */
    @Test
    void aLinkThatRegistersDuringItsConnectorsDrainIsDrainingAtTheEdge() throws Exception {
        try (LinkHarness h = new LinkHarness()) {
            TunnelToken t = h.newTunnel();
            AtomicInteger lookups = new AtomicInteger();
            CompletableFuture<Void> release = new CompletableFuture<>();
            TunnelAuthority secondWaits = (id, account) -> {
                CompletionStage<Optional<byte[]>> secret = h.authority().secret(id, account);
                return lookups.incrementAndGet() == 1 ? secret : release.thenCompose(x -> secret);
            };
            TunnelServer edge = h.secondEdge(0, secondWaits);
            try {
                LinkSupervisor s = h.connect(t, 2, List.of(edge.port()));
                // three lookups: each link's registration, and the registered one's check that its tunnel still exists
                await("one link registered, the other's lookup waiting", WAIT,
                        () -> links(edge.router(), t.tunnelId()).size() == 1 && lookups.get() == 3);
                EdgeLink first = links(edge.router(), t.tunnelId()).get(0);
                // long enough for the drain to still wait on it when the second registration completes, on a busy machine
                var slow = EdgeStreamClient.exchange(first, "slow".getBytes(StandardCharsets.UTF_8), 8000);
                await("a fetch in flight", WAIT, () -> s.activeStreams() == 1);
                CompletableFuture<Void> drained = CompletableFuture.runAsync(() -> {
                    try {
                        s.drain(Duration.ofSeconds(20));
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                });
                await("the registered link drains", WAIT, first::draining);
                release.complete(null); // the other link's registration completes now, during the drain
                await("the second link registered", WAIT, () -> links(edge.router(), t.tunnelId()).size() == 2);
                EdgeLink second = links(edge.router(), t.tunnelId()).stream().filter(l -> l != first).findFirst().orElseThrow();
                await("the edge knows the second link drains too", Duration.ofSeconds(3), second::draining);
                assertEquals("slow", new String(slow.get(30, TimeUnit.SECONDS).body(), StandardCharsets.UTF_8));
                drained.get(30, TimeUnit.SECONDS);
            } finally {
                edge.close();
            }
        }
    }

    /**
     * A tunnel deleted while its link's registration looks up the secret: the deletion's sweep finds no link yet, and
     * the link that registers afterwards with the secret read before is closed, not kept up for good.
     */
    @Test
    void aLinkThatRegistersWhileItsTunnelIsDeletedIsClosed() throws Exception {
        try (LinkHarness h = new LinkHarness()) {
            TunnelToken t = h.newTunnel();
            AtomicBoolean deleted = new AtomicBoolean();
            AtomicInteger lookups = new AtomicInteger();
            CompletableFuture<Void> release = new CompletableFuture<>();
            TunnelAuthority firstWaits = (id, account) -> {
                // the first lookup read the secret before the deletion and completes after it
                CompletionStage<Optional<byte[]>> secret = deleted.get() ? CompletableFuture.completedFuture(Optional.empty())
                        : h.authority().secret(id, account);
                return lookups.incrementAndGet() == 1 ? release.thenCompose(x -> secret) : secret;
            };
            TunnelServer edge = h.secondEdge(0, firstWaits);
            try {
                LinkSupervisor s = h.connect(t, 1, List.of(edge.port()));
                await("the registration's lookup waiting", WAIT, () -> lookups.get() == 1);
                deleted.set(true);
                edge.router().closeTunnelsNotIn(id -> !deleted.get()); // what the directory's change listener runs
                release.complete(null);
                await("the link registered and closed again, its reconnection refused", WAIT,
                        () -> lookups.get() >= 3 && links(edge.router(), t.tunnelId()).isEmpty());
                Thread.sleep(1000); // the connector gave up on the tunnel: no link comes back
                assertEquals(List.of(), links(edge.router(), t.tunnelId()));
                assertEquals(0, s.registeredLinks());
            } finally {
                edge.close();
            }
        }
    }

    private static List<EdgeLink> links(dev.vpctunnel.edge.link.TunnelRouter router, java.util.UUID tunnel) {
        return router.all().stream().filter(l -> l.tunnelId().equals(tunnel)).toList();
    }
}
