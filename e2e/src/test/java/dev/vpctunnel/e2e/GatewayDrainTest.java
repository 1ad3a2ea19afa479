package dev.vpctunnel.e2e;

import dev.vpctunnel.connector.link.LinkSupervisor;
import dev.vpctunnel.edge.directory.ServiceBinding;
import dev.vpctunnel.edge.directory.ServiceRecord;
import dev.vpctunnel.edge.directory.TunnelRecord;
import dev.vpctunnel.edge.routing.LinkInfo;
import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
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

    /**
     * Once the edge's gateway stops accepting (SIGTERM), a worker's keep-alive connection is told to go: its next
     * response carries Connection: close and the connection closes, so the client reconnects (to another edge).
     */
    @Test
    void aKeepAliveConnectionIsClosedAfterItsNextResponseOnceTheGatewayCloses() throws Exception {
        try (GatewayFixture f = new GatewayFixture()) {
            TunnelRecord t = f.tunnel("keep");
            f.connect(t, 1, List.of());
            ServiceRecord s = f.service("k", 1, null, "127.0.0.1", null, t.id());
            String tok = f.worker("k", List.of(new ServiceBinding("K", s.id())));
            try (Socket c = new Socket(InetAddress.getLoopbackAddress(), f.gateway.port())) {
                c.setSoTimeout(10_000);
                String head = "GET http://x/ HTTP/1.1\r\nProxy-Authorization: Bearer " + tok + "\r\ncf-vpc-binding: K\r\n\r\n";
                c.getOutputStream().write(head.getBytes(StandardCharsets.US_ASCII));
                RawHttp.Response before = RawHttp.read(c.getInputStream());
                assertEquals("connect_failed", before.header("cf-vpc-error"), before.text());
                assertEquals(null, before.header("connection"), "keep-alive before the gateway closes");
                f.gateway.close();
                c.getOutputStream().write(head.getBytes(StandardCharsets.US_ASCII));
                RawHttp.Response after = RawHttp.read(c.getInputStream());
                assertEquals("close", after.header("connection"), after.text());
                assertEquals(-1, c.getInputStream().read(), "the gateway closed the connection");
            }
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
