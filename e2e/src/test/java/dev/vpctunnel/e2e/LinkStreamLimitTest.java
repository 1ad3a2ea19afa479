package dev.vpctunnel.e2e;

import dev.vpctunnel.edge.directory.ServiceBinding;
import dev.vpctunnel.edge.directory.ServiceRecord;
import dev.vpctunnel.edge.directory.TunnelRecord;
import dev.vpctunnel.edge.link.EdgeLink;
import org.junit.jupiter.api.Test;

import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A link whose HTTP/2 stream IDs run out (2^30 streams: hours at tens of thousands a second) is replaced, not left
 * registered and unusable: the edge asks its connector for a new link a 64th of them before (here one stream before),
 * and drains the old one when they run out if the connector has not done so. Here the limit is 10 streams, each link
 * retiring at its own point of the last eighth (9 or 10).
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

    /**
     * A tunnel served by one link (--ha-connections 1) stays served while that link is replaced: the edge asks for a
     * new link a little before the old one's stream IDs run out, the connector drains the old one once the new one
     * registered, and a fetch still under way on the old one ends there whole. Before, the old link took no fetch from
     * its last stream on and was replaced only once that fetch had ended: every fetch meanwhile failed (no_connector).
     */
    @Test
    void aTunnelServedByOneLinkStaysServedWhileItIsReplaced() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        try (TestOrigins origins = new TestOrigins();
             ServerSocket held = new ServerSocket(0, 5, InetAddress.getLoopbackAddress());
             GatewayFixture f = new GatewayFixture("", 2, c -> c.withStreamsPerLink(10))) {
            Thread origin = new Thread(() -> {
                try (Socket s = held.accept()) {
                    s.getInputStream().read(new byte[4096]); // the request head
                    OutputStream out = s.getOutputStream();
                    out.write("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nfirst".getBytes(StandardCharsets.US_ASCII));
                    out.flush();
                    release.await(20, TimeUnit.SECONDS);
                    out.write("-last".getBytes(StandardCharsets.US_ASCII));
                    out.flush();
                } catch (Exception e) {
                    // the test fails on the answer
                }
            }, "held-origin");
            origin.setDaemon(true);
            origin.start();
            TunnelRecord tunnel = f.tunnel("one-link");
            f.connect(tunnel, 1, List.of());
            ServiceRecord web = f.service("web", origins.echoPort(), null, "127.0.0.1", null, tunnel.id());
            ServiceRecord slow = f.service("slow", held.getLocalPort(), null, "127.0.0.1", null, tunnel.id());
            String token = f.worker("w", List.of(new ServiceBinding("WEB", web.id()), new ServiceBinding("SLOW", slow.id())));
            EdgeLink first = links(f.tunnels.router(), tunnel.id()).get(0);
            CompletableFuture<RawHttp.Response> underWay = CompletableFuture.supplyAsync(() -> {
                try {
                    return f.fetch(token, "SLOW", "http://slow.internal/", "", null);
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            LinkHarness.await("the slow fetch on the link", Duration.ofSeconds(10), () -> first.openStreams() == 1);
            for (int i = 0; i < 8; i++) { // streams 2 to 9: the new link was asked for at the 8th or 9th (of 9 or 10)
                RawHttp.Response r = f.fetch(token, "WEB", "http://api.internal/n" + i, "", null);
                assertEquals(200, r.status(), i + ": " + r.text());
            }
            LinkHarness.await("a new link in the old one's place", Duration.ofSeconds(10),
                    () -> links(f.tunnels.router(), tunnel.id()).stream().anyMatch(l -> l != first && l.usable()));
            for (int i = 0; i < 5; i++) {
                RawHttp.Response r = f.fetch(token, "WEB", "http://api.internal/m" + i, "", null);
                assertEquals(200, r.status(), i + ": " + r.text());
            }
            // the connector's drain of the old link, not the end of its IDs (at 9 it would be draining anyway)
            LinkHarness.await("the connector drains the old link", Duration.ofSeconds(10), first::peerDraining);
            assertTrue(first.channel().isOpen(), "the old link waits for its last fetch");
            release.countDown();
            RawHttp.Response r = underWay.get(20, TimeUnit.SECONDS);
            assertEquals(200, r.status(), r.text());
            assertEquals("first-last", r.text());
            LinkHarness.await("the old link closed once its fetch ended", Duration.ofSeconds(10), () -> !first.channel().isOpen());
        }
    }

    /**
     * Under load, links renewing again and again (a limit of 200 streams: each of 4 links is replaced ~2 times per
     * 1,600 fetches) cost no fetch: a fetch sent on a link just as it drains is served there or sent again elsewhere.
     */
    @Test
    void linksRenewedUnderLoadCostNoFetch() throws Exception {
        try (TestOrigins origins = new TestOrigins();
             dev.vpctunnel.core.testing.LogCapture handovers = dev.vpctunnel.core.testing.LogCapture.of(
                     "dev.vpctunnel.connector.link.LinkSlot", java.util.logging.Level.INFO);
             GatewayFixture f = new GatewayFixture("", 2, c -> c.withStreamsPerLink(200))) {
            TunnelRecord tunnel = f.tunnel("renewing");
            f.connect(tunnel, 4, List.of());
            ServiceRecord web = f.service("web", origins.echoPort(), null, "127.0.0.1", null, tunnel.id());
            String token = f.worker("w", List.of(new ServiceBinding("WEB", web.id())));
            List<EdgeLink> before = links(f.tunnels.router(), tunnel.id());
            java.util.concurrent.ExecutorService workers = java.util.concurrent.Executors.newFixedThreadPool(8);
            try {
                List<java.util.concurrent.Future<String>> results = new java.util.ArrayList<>();
                for (int i = 0; i < 1600; i++) {
                    String path = "/load" + i;
                    results.add(workers.submit(() -> {
                        RawHttp.Response r = f.fetch(token, "WEB", "http://api.internal" + path, "", null);
                        return r.status() == 200 && r.text().contains("path=" + path) ? "ok" : r.status() + " " + r.text();
                    }));
                }
                java.util.Map<String, Long> outcomes = new java.util.TreeMap<>();
                for (java.util.concurrent.Future<String> r : results) {
                    outcomes.merge(r.get(60, TimeUnit.SECONDS), 1L, Long::sum);
                }
                assertEquals(java.util.Map.of("ok", 1600L), outcomes);
            } finally {
                workers.shutdownNow();
            }
            assertTrue(before.stream().noneMatch(l -> l.channel().isOpen() && l.usable()), "every first link was replaced");
            // by renewals (the edge's drain at the end of the IDs, the path for older connectors, loses no fetch either)
            assertTrue(handovers.messages().stream().anyMatch(m -> m.contains(" hands over to a new link")),
                    handovers.messages().toString());
        }
    }

    private static List<EdgeLink> links(dev.vpctunnel.edge.link.TunnelRouter router, java.util.UUID tunnel) {
        return router.all().stream().filter(l -> l.tunnelId().equals(tunnel)).toList();
    }
}
