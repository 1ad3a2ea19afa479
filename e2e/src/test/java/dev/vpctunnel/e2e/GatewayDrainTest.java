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

    /**
     * An h2c worker connection gets GOAWAY(NO_ERROR) once the gateway stops accepting: its stream in flight still gets
     * the whole answer, and it opens no new stream there (before, new streams were taken and failed while draining).
     */
    @Test
    void anH2cConnectionGetsGoAwayAndItsStreamInFlightFinishes() throws Exception {
        try (GatewayFixture f = new GatewayFixture();
             ServerSocket origin = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            Thread t = new Thread(() -> {
                while (!origin.isClosed()) {
                    try (Socket s = origin.accept()) {
                        s.getInputStream().read(new byte[8192]);
                        Thread.sleep(1_500);
                        s.getOutputStream().write("HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nlate".getBytes(StandardCharsets.US_ASCII));
                        s.getOutputStream().flush();
                        s.getInputStream().read();
                    } catch (Exception e) {
                        // next
                    }
                }
            }, "slow-h2c-origin");
            t.setDaemon(true);
            t.start();
            TunnelRecord tun = f.tunnel("h2c");
            f.connect(tun, 1, List.of());
            ServiceRecord s = f.service("slow", origin.getLocalPort(), null, "127.0.0.1", null, tun.id());
            String tok = f.worker("h2c", List.of(new ServiceBinding("SLOW", s.id())));
            java.util.function.Supplier<io.netty.handler.codec.http2.Http2Headers> req = () -> H2cProbe
                    .request("GET", "http", "slow.internal", "/x").add("proxy-authorization", "Bearer " + tok)
                    .add("cf-vpc-binding", "SLOW");
            try (H2cProbe probe = new H2cProbe(f.gateway.port())) {
                CompletableFuture<H2cProbe.Answer> inFlight = CompletableFuture
                        .supplyAsync(() -> {
                            try {
                                return probe.send(req.get(), null, 10_000);
                            } catch (Exception e) {
                                throw new IllegalStateException(e);
                            }
                        });
                Thread.sleep(500); // at the origin by now
                f.gateway.close();
                H2cProbe.Answer a = inFlight.get(15, TimeUnit.SECONDS);
                assertEquals("200", a.status(), a.toString());
                assertEquals("late", a.body());
                H2cProbe.Answer after;
                try {
                    after = probe.send(req.get(), null, 3_000);
                } catch (Exception refusedByTheClient) {
                    return; // the client knows the connection is going away: no new stream (Netty's client)
                }
                assertTrue(!"200".equals(after.status()), "a new stream after GOAWAY was served: " + after);
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
