package dev.vpctunnel.e2e;

import dev.vpctunnel.connector.link.LinkSupervisor;
import dev.vpctunnel.edge.directory.ServiceBinding;
import dev.vpctunnel.edge.directory.ServiceRecord;
import dev.vpctunnel.edge.directory.TunnelRecord;
import dev.vpctunnel.edge.routing.LinkInfo;
import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Fetches while a tunnel's links drain. */
class GatewayDrainTest {
    /** The only connector drains with a stream still in flight: a new fetch is told the links are draining. */
    @Test
    void aFetchWhileTheConnectorDrainsSaysTheLinksAreDraining() throws Exception {
        try (GatewayFixture f = new GatewayFixture();
             ServerSocket silent = new ServerSocket(0, 5, InetAddress.getLoopbackAddress())) {
            TunnelRecord t = f.tunnel("draining");
            LinkSupervisor c = f.connect(t, 1, List.of());
            ServiceRecord s = f.service("dr", silent.getLocalPort(), null, "127.0.0.1", null, t.id());
            String tok = f.worker("dr", List.of(new ServiceBinding("DR", s.id())));
            CompletableFuture<Void> stuck = CompletableFuture.runAsync(() -> fetchQuietly(f, tok, "http://x/stuck"));
            LinkHarness.await("the fetch is in flight", Duration.ofSeconds(10), () -> c.activeStreams() == 1);
            CompletableFuture<Void> drained = CompletableFuture.runAsync(() -> {
                try {
                    c.drain(Duration.ofSeconds(3));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            LinkHarness.await("the edge sees the link draining", Duration.ofSeconds(5),
                    () -> f.tunnels.router().links(t.id()).stream().allMatch(LinkInfo::draining));
            RawHttp.Response r = f.fetch(tok, "DR", "http://x/new", "", null);
            assertEquals(502, r.status(), r.text());
            assertEquals("no_connector", r.header("cf-vpc-error"), r.text());
            assertTrue(r.text().contains("every link of tunnel " + t.id() + " is draining (its connector or this edge"
                    + " is shutting down)"), r.text());
            drained.get(10, TimeUnit.SECONDS);
            stuck.get(10, TimeUnit.SECONDS);
        }
    }

    private static void fetchQuietly(GatewayFixture f, String tok, String url) {
        try {
            f.fetch(tok, "DR", url, "", null);
        } catch (Exception e) {
            // cut when the grace period ends: not this test's point
        }
    }
}
