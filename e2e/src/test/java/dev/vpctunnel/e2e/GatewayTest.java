package dev.vpctunnel.e2e;

import dev.vpctunnel.connector.link.LinkSupervisor;
import dev.vpctunnel.edge.directory.NetworkBinding;
import dev.vpctunnel.edge.directory.ServiceBinding;
import dev.vpctunnel.edge.directory.ServiceRecord;
import dev.vpctunnel.edge.directory.TunnelRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The gateway's contract through a real edge, connector and origin on loopback. */
class GatewayTest {
    private static GatewayFixture f;
    private static TestOrigins origins;
    private static TunnelRecord tunnel;
    private static TunnelRecord empty;
    private static String token;

    @BeforeAll
    static void setUp() throws Exception {
        origins = new TestOrigins();
        f = new GatewayFixture();
        tunnel = f.tunnel("main");
        empty = f.tunnel("nobody-connected");
        f.connect(tunnel, 2, List.of("127.0.0.2/32"));
        ServiceRecord web = f.service("web", origins.echoPort(), null, "127.0.0.1", null, tunnel.id());
        ServiceRecord both = f.service("both", null, null, "127.0.0.1", null, tunnel.id()); // 80/443 defaults
        ServiceRecord dead = f.service("dead", 1, null, "127.0.0.1", null, tunnel.id());
        ServiceRecord cut = f.service("cut", origins.cutterPort(), null, "127.0.0.1", null, tunnel.id());
        ServiceRecord orphan = f.service("orphan", origins.echoPort(), null, "127.0.0.1", null, empty.id());
        ServiceRecord denied = f.service("denied", origins.echoPort(), null, "127.0.0.2", null, tunnel.id());
        ServiceRecord nx = f.service("nx", origins.echoPort(), null, null, "no-such-name.invalid", tunnel.id());
        token = f.worker("w", List.of(
                new ServiceBinding("WEB", web.id()), new ServiceBinding("BOTH", both.id()),
                new ServiceBinding("DEAD", dead.id()), new ServiceBinding("CUT", cut.id()),
                new ServiceBinding("ORPHAN", orphan.id()), new ServiceBinding("DENIED", denied.id()),
                new ServiceBinding("NX", nx.id()),
                new NetworkBinding("NET", tunnel.id()), new NetworkBinding("MESH", null)));
    }

    @AfterAll
    static void tearDown() throws Exception {
        f.close();
        origins.close();
    }

    @Test
    void serviceBindingGoesToTheConfiguredHostAndPortWhateverTheUrlSays() throws Exception {
        RawHttp.Response r = f.fetch(token, "WEB", "http://api.internal:9999/data?x=1", "", null);
        assertEquals(200, r.status(), r.text());
        assertTrue(r.text().contains("path=/data?x=1"), r.text());
        assertTrue(r.text().contains("host=api.internal\n"), "Host is the URL's host only: " + r.text());
        assertTrue(r.text().contains("port=" + origins.echoPort()), r.text());
        assertEquals("echo", r.header("x-origin"));
    }

    @Test
    void nothingTheWorkerSendsCanMoveAServiceFetchOrLeakRoutingHeaders() throws Exception {
        RawHttp.Response r = f.fetch(token, "WEB", "http://127.0.0.1:1/other",
                "Host: evil.example:22\r\ncf-vpc-scheme: https\r\ncf-vpc-target: 10.0.0.1\r\ncf-link-connect: AAAA\r\n", "hi".getBytes());
        assertEquals(200, r.status(), r.text());
        assertTrue(r.text().contains("port=" + origins.echoPort()), r.text());
        assertTrue(r.text().contains("method=POST") && r.text().contains("body=2"), r.text());
        assertFalse(r.text().contains("leaked-header"), "no cf-* or proxy-authorization header reaches the origin: " + r.text());
    }

    @Test
    void anOriginCannotFakeAFetchError() throws Exception {
        RawHttp.Response r = f.fetch(token, "WEB", "http://api.internal/fake-error", "", null);
        assertEquals(200, r.status(), r.text());
        assertNull(r.header("cf-vpc-error"));
    }

    @Test
    void originFormWithHostAndScheme() throws Exception {
        RawHttp.Response r = f.fetch(token, "WEB", "/p", "Host: api.internal\r\n", null);
        assertEquals(200, r.status(), r.text());
        assertTrue(r.text().contains("host=api.internal\n") && r.text().contains("path=/p"), r.text());
    }

    @Test
    void aHostNameWithAnUnderscoreReachesTheServiceAsHost() throws Exception {
        RawHttp.Response r = f.fetch(token, "WEB", "http://my_svc.internal/x", "", null);
        assertEquals(200, r.status(), r.text());
        assertTrue(r.text().contains("host=my_svc.internal\n") && r.text().contains("path=/x\n"), r.text());
        RawHttp.Response origin = f.fetch(token, "WEB", "/y", "Host: My_Svc.internal:9999\r\n", null);
        assertEquals(200, origin.status(), origin.text());
        assertTrue(origin.text().contains("host=my_svc.internal\n") && origin.text().contains("path=/y\n"), origin.text());
    }

    @Test
    void schemeWhosePortIsNotConfiguredIsRefused() throws Exception {
        RawHttp.Response r = f.fetch(token, "WEB", "https://api.internal/", "", null);
        assertError(r, 403, "scheme_not_allowed");
    }

    @Test
    void contractErrors() throws Exception {
        assertError(f.fetch(null, "WEB", "http://a/", "", null), 401, "unauthorized");
        assertError(f.fetch("gw_wrong", "WEB", "http://a/", "", null), 401, "unauthorized");
        assertError(f.fetch(token, "NOPE", "http://a/", "", null), 403, "binding_not_found");
        assertError(f.fetch(token, null, "http://a/", "", null), 403, "binding_not_found");
        assertError(f.fetch(token, "ORPHAN", "http://a/", "", null), 502, "no_connector");
        assertError(f.fetch(token, "DEAD", "http://a/", "", null), 502, "connect_failed");
        assertError(f.fetch(token, "DENIED", "http://a/", "", null), 502, "destination_denied");
        assertError(f.fetch(token, "NX", "http://a/", "", null), 502, "dns_failed");
        assertError(f.fetch(token, "MESH", "http://10.9.9.9/", "", null), 502, "no_route");
        assertError(f.fetch(token, "MESH", "http://db.internal/", "", null), 502, "no_route");
        // every fetch counted is in the latency histogram too, failed ones included (a connect_timeout's 10 s count)
        List<Map<String, String>> last = new ArrayList<>(List.of(Map.of()));
        try {
            LinkHarness.await("each outcome's fetch count equals its latency histogram's count", Duration.ofSeconds(5),
                    () -> {
                        last.set(0, f.countsDifferingFromDurations());
                        return last.get(0).isEmpty();
                    });
        } catch (AssertionError e) {
            assertEquals(Map.of(), last.get(0), e.getMessage()); // the last comparison's differences
        }
    }

    @Test
    void unfetchableUrlsGetTheContractsCodes() throws Exception {
        assertError(f.fetch(token, "NET", "ftp://files.internal/a", "", null), 403, "scheme_not_allowed");
        assertError(f.fetch(token, "WEB", "/a", "Host: api.internal\r\ncf-vpc-scheme: ftp\r\n", null), 403, "scheme_not_allowed");
        assertError(f.fetch(token, "WEB", "http://u:p@api.internal/", "", null), 502, "no_route");
        assertError(f.fetch(token, "WEB", "/no-host-header", "", null), 502, "no_route");
        // fetch() refuses an IPv6 zone id; the gateway used to drop it and dial the address (or take it for a name)
        for (String binding : List.of("WEB", "NET", "MESH")) {
            RawHttp.Response zone = f.fetch(token, binding, "http://[::1%25lo]:" + origins.echoPort() + "/", "", null);
            assertError(zone, 502, "no_route");
            assertTrue(zone.text().contains("zone id"), zone.text());
            assertError(f.fetch(token, binding, "/", "Host: [::1%lo]:" + origins.echoPort() + "\r\n", null), 502, "no_route");
        }
        // fetch() reads 127.0.0.010 as 127.0.0.8; the gateway would have dialed 127.0.0.10: refused as ambiguous
        RawHttp.Response octal = f.fetch(token, "NET", "http://127.000.0.1:" + origins.echoPort() + "/", "", null);
        assertError(octal, 502, "no_route");
        assertTrue(octal.text().contains("leading zero"), octal.text());
        // the connector refuses a port above 65535 (its BAD_REQUEST): the destination cannot be routed
        RawHttp.Response r = f.fetch(token, "NET", "http://127.0.0.1:70000/", "", null);
        assertError(r, 502, "no_route");
        assertTrue(r.text().contains("port must be 1-65535"), r.text());
    }

    @Test
    void aRequestHeadTheHttpDecoderRefusesGetsAPlain400AndTheConnectionCloses() throws Exception {
        for (String bad : List.of("Bad\u0001Name: x\r\n", "Content-Length: 1\r\nContent-Length: 2\r\n")) {
            try (java.net.Socket s = new java.net.Socket(java.net.InetAddress.getLoopbackAddress(), f.gateway.port())) {
                s.setSoTimeout(10_000);
                s.getOutputStream().write(("GET http://api.internal/x HTTP/1.1\r\nProxy-Authorization: Bearer " + token
                        + "\r\ncf-vpc-binding: WEB\r\n" + bad + "\r\n").getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
                RawHttp.Response r = RawHttp.read(s.getInputStream());
                assertEquals(400, r.status(), bad + ": " + r.text());
                assertNull(r.header("cf-vpc-error"), r.text());
                assertEquals("text/plain; charset=UTF-8", r.header("content-type"));
                assertEquals("close", r.header("connection"));
                assertTrue(r.text().startsWith("bad request: ") && r.text().length() > 20, r.text());
                assertEquals(-1, s.getInputStream().read(), "the connection is closed after the 400");
            }
        }
    }

    /** The link's control stream has a path of its own: a fetch to that path is a fetch like any other, links untouched. */
    @Test
    void aFetchToTheLinksControlPathReachesTheOriginAndLeavesTheLinksUp() throws Exception {
        java.util.function.Supplier<java.util.Set<String>> links = () -> f.tunnels.router().links(tunnel.id()).stream()
                .map(l -> l.connectorId() + "#" + l.linkIndex() + "@" + l.openedAt()).collect(java.util.stream.Collectors.toSet());
        var before = links.get();
        for (String method : List.of("GET", "POST")) {
            RawHttp.Response r = f.fetch(token, "WEB", "http://api.internal" + dev.vpctunnel.core.link.LinkHeaders.CONTROL_PATH,
                    "", method.equals("POST") ? "{}".getBytes() : null); // the control stream is a POST
            assertEquals(200, r.status(), method + ": " + r.text());
            assertTrue(r.text().contains("path=" + dev.vpctunnel.core.link.LinkHeaders.CONTROL_PATH), r.text());
        }
        Thread.sleep(300); // a link closed by the connector would be gone from the router by now
        assertEquals(before, links.get(), "the same links, none replaced");
    }

    @Test
    void networkBindingUsesTheUrlsHostAndPort() throws Exception {
        RawHttp.Response r = f.fetch(token, "NET", "http://127.0.0.1:" + origins.echoPort() + "/n", "", null);
        assertEquals(200, r.status(), r.text());
        assertTrue(r.text().contains("host=127.0.0.1:" + origins.echoPort()), r.text());
    }

    @Test
    void meshBindingFollowsTheLongestRoute() throws Exception {
        f.directory.addRoute(f.account, dev.vpctunnel.edge.directory.Cidr.parse("127.0.0.0/8"), empty.id(), null);
        f.directory.addRoute(f.account, dev.vpctunnel.edge.directory.Cidr.parse("127.0.0.1/32"), tunnel.id(), null);
        RawHttp.Response r = f.fetch(token, "MESH", "http://127.0.0.1:" + origins.echoPort() + "/m", "", null);
        assertEquals(200, r.status(), r.text());
        // the /8 goes to the tunnel nobody serves: a different address under it proves the choice was by prefix
        assertError(f.fetch(token, "MESH", "http://127.0.0.3:" + origins.echoPort() + "/m", "", null), 502, "no_connector");
    }

    @Test
    void aMeshRouteWrittenIpv4MappedHoldsItsIpv4Addresses() throws Exception {
        // the route goes to the tunnel nobody serves: no_connector shows it matched (no_route: it did not)
        f.directory.addRoute(f.account, dev.vpctunnel.edge.directory.Cidr.parse("::ffff:10.254.0.0/112"), empty.id(), null);
        assertError(f.fetch(token, "MESH", "http://10.254.0.1/m", "", null), 502, "no_connector");
        assertError(f.fetch(token, "MESH", "http://[::ffff:10.254.0.1]/m", "", null), 502, "no_connector");
    }

    @Test
    void aResponseCutOffMidBodyIsNeverDeliveredComplete() throws Exception {
        RawHttp.Response r = f.fetch(token, "CUT", "http://a/", "", null);
        assertEquals(200, r.status());
        assertFalse(r.complete(), "the worker must see a truncated body, got " + r.body().length + " bytes as complete");
    }

    @Test
    void manyConcurrentFetchesSucceed() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(32);
        try {
            List<Future<RawHttp.Response>> all = new ArrayList<>();
            for (int i = 0; i < 300; i++) {
                int n = i;
                all.add(pool.submit(() -> f.fetch(token, "WEB", "http://api.internal/c" + n, "", null)));
            }
            for (int i = 0; i < all.size(); i++) {
                RawHttp.Response r = all.get(i).get(30, TimeUnit.SECONDS);
                assertEquals(200, r.status(), r.text());
                assertTrue(r.text().contains("path=/c" + i));
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void keepAliveConnectionCarriesSeveralFetches() throws Exception {
        try (java.net.Socket s = new java.net.Socket(java.net.InetAddress.getLoopbackAddress(), f.gateway.port())) {
            s.setSoTimeout(10_000);
            for (int i = 0; i < 3; i++) {
                String head = "GET http://api.internal/k" + i + " HTTP/1.1\r\nProxy-Authorization: Bearer " + token
                        + "\r\ncf-vpc-binding: " + (i == 1 ? "NOPE" : "WEB") + "\r\n\r\n";
                s.getOutputStream().write(head.getBytes());
                RawHttp.Response r = RawHttp.read(s.getInputStream());
                if (i == 1) {
                    assertError(r, 403, "binding_not_found");
                } else {
                    assertEquals(200, r.status(), r.text());
                    assertTrue(r.text().contains("path=/k" + i), r.text());
                }
            }
        }
    }

    @Test
    void aDeletedWorkersTokenStopsWorkingOnAConnectionThatUsedIt() throws Exception {
        ServiceRecord svc = f.service("rot", origins.echoPort(), null, "127.0.0.1", null, tunnel.id());
        String first = f.worker("deleted-later", List.of(new ServiceBinding("WEB", svc.id())));
        try (java.net.Socket s = new java.net.Socket(java.net.InetAddress.getLoopbackAddress(), f.gateway.port())) {
            s.setSoTimeout(10_000);
            java.util.function.Function<String, String> get = t -> "GET http://api.internal/r HTTP/1.1\r\nProxy-Authorization: Bearer "
                    + t + "\r\ncf-vpc-binding: WEB\r\n\r\n";
            s.getOutputStream().write(get.apply(first).getBytes());
            assertEquals(200, RawHttp.read(s.getInputStream()).status());
            f.directory.deleteWorker(f.account, "deleted-later"); // and every gateway token it had
            s.getOutputStream().write(get.apply(first).getBytes());
            assertError(RawHttp.read(s.getInputStream()), 401, "unauthorized");
            String second = f.worker("deleted-later", List.of(new ServiceBinding("WEB", svc.id())));
            s.getOutputStream().write(get.apply(second).getBytes());
            assertEquals(200, RawHttp.read(s.getInputStream()).status());
        }
    }

    @Test
    void aDeletedTunnelStopsCarryingFetchesAtOnce() throws Exception {
        TunnelRecord doomed = f.tunnel("doomed");
        f.connect(doomed, 2, List.of());
        String tok = f.worker("to-doomed", List.of(new NetworkBinding("NET", doomed.id())));
        String url = "http://127.0.0.1:" + origins.echoPort() + "/d";
        RawHttp.Response before = f.fetch(tok, "NET", url, "", null);
        assertEquals(200, before.status(), before.text());
        f.directory.deleteTunnel(f.account, doomed.id());
        LinkHarness.await("links of the deleted tunnel closed", java.time.Duration.ofSeconds(10),
                () -> f.tunnels.router().links(doomed.id()).isEmpty());
        // the binding now points at nothing, as one to a deleted service: refused, not "no connector (yet)"
        assertError(f.fetch(tok, "NET", url, "", null), 403, "binding_not_found");
        Thread.sleep(1500); // the connector's reconnect attempts are refused: the tunnel's secret is gone
        assertTrue(f.tunnels.router().links(doomed.id()).isEmpty());
        assertError(f.fetch(tok, "NET", url, "", null), 403, "binding_not_found");
    }

    @Test
    void h2cRequestsUseTheirOwnSchemeUnlessCfVpcSchemeSaysOtherwise() throws Exception {
        // "web" allows only http: https must be refused as for an absolute https:// URL
        assertEquals("403 scheme_not_allowed", h2cFetch("https", null));
        assertEquals("200 -", h2cFetch("http", null));
        assertEquals("200 -", h2cFetch("https", "http"));
        assertEquals("403 scheme_not_allowed", h2cFetch("http", "https"));
    }

    /** One h2c (prior knowledge) request to binding WEB: "STATUS CF-VPC-ERROR" of the answer ("-" when none). */
    private static String h2cFetch(String scheme, String cfVpcScheme) throws Exception {
        io.netty.channel.EventLoopGroup group = dev.vpctunnel.core.net.Transports.group(1, "t-h2c");
        try {
            java.util.concurrent.CompletableFuture<String> answer = new java.util.concurrent.CompletableFuture<>();
            io.netty.channel.Channel conn = H2cProbe.connect(group, f.gateway.port());
            io.netty.handler.codec.http2.Http2StreamChannel s = new io.netty.handler.codec.http2.Http2StreamChannelBootstrap(conn)
                    .handler(new io.netty.channel.ChannelInboundHandlerAdapter() {
                        @Override
                        public void channelRead(io.netty.channel.ChannelHandlerContext ctx, Object msg) {
                            if (msg instanceof io.netty.handler.codec.http2.Http2HeadersFrame h && !answer.isDone()) {
                                CharSequence code = h.headers().get("cf-vpc-error");
                                answer.complete(h.headers().status() + " " + (code == null ? "-" : code));
                            }
                            io.netty.util.ReferenceCountUtil.release(msg);
                        }
                    }).open().sync().getNow();
            io.netty.handler.codec.http2.Http2Headers h = new io.netty.handler.codec.http2.DefaultHttp2Headers()
                    .method("GET").scheme(scheme).authority("api.internal").path("/h2c")
                    .add("proxy-authorization", "Bearer " + token).add("cf-vpc-binding", "WEB");
            if (cfVpcScheme != null) {
                h.add("cf-vpc-scheme", cfVpcScheme);
            }
            s.writeAndFlush(new io.netty.handler.codec.http2.DefaultHttp2HeadersFrame(h, true));
            String got = answer.get(10, TimeUnit.SECONDS);
            conn.close().sync();
            return got;
        } finally {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
        }
    }

    @Test
    void pipelinedRequestsAreAnsweredOneAtATimeInOrder() throws Exception {
        try (java.net.Socket s = new java.net.Socket(java.net.InetAddress.getLoopbackAddress(), f.gateway.port())) {
            s.setSoTimeout(10_000);
            String auth = "Proxy-Authorization: Bearer " + token + "\r\n";
            String all = "POST http://api.internal/p1 HTTP/1.1\r\n" + auth + "cf-vpc-binding: NOPE\r\nContent-Length: 5\r\n\r\nhello"
                    + "GET http://api.internal/p2 HTTP/1.1\r\n" + auth + "cf-vpc-binding: WEB\r\n\r\n"
                    + "POST http://api.internal/p3 HTTP/1.1\r\n" + auth + "cf-vpc-binding: WEB\r\nContent-Length: 3\r\n\r\nabc";
            s.getOutputStream().write(all.getBytes());
            assertError(RawHttp.read(s.getInputStream()), 403, "binding_not_found");
            RawHttp.Response second = RawHttp.read(s.getInputStream());
            assertTrue(second.text().contains("path=/p2") && second.text().contains("body=0"), second.text());
            RawHttp.Response third = RawHttp.read(s.getInputStream());
            assertTrue(third.text().contains("path=/p3") && third.text().contains("body=3"), third.text());
        }
    }

    @Test
    void failoverWhenAConnectorDies() throws Exception {
        TunnelRecord t = f.tunnel("failover");
        LinkSupervisor a = f.connect(t, 2, List.of());
        LinkSupervisor b = f.connect(t, 2, List.of());
        ServiceRecord s = f.service("fo", origins.echoPort(), null, "127.0.0.1", null, t.id());
        String tok = f.worker("fo", List.of(new ServiceBinding("FO", s.id())));
        assertEquals(200, f.fetch(tok, "FO", "http://x/", "", null).status());
        a.stop();
        // the edge notices the closed links at once; from then on every new fetch goes to the other connector
        LinkHarness.await("the edge dropped the stopped connector's links", java.time.Duration.ofSeconds(1),
                () -> f.tunnels.router().links(t.id()).stream().allMatch(l -> !l.connectorId().equals(a.connectorId())));
        for (int i = 0; i < 10; i++) {
            RawHttp.Response r = f.fetch(tok, "FO", "http://x/after" + i, "", null);
            assertEquals(200, r.status(), "fetch " + i + " after one connector died: " + r.text());
        }
        b.stop();
        LinkHarness.await("links gone", java.time.Duration.ofSeconds(10), () -> f.tunnels.router().links(t.id()).isEmpty());
        assertError(f.fetch(tok, "FO", "http://x/", "", null), 502, "no_connector");
    }

    static void assertError(RawHttp.Response r, int status, String code) {
        assertEquals(status, r.status(), r.text());
        assertEquals(code, r.header("cf-vpc-error"), r.text());
        assertTrue(r.text().contains("\"code\":\"" + code + "\""), r.text());
        assertNull(r.header("x-origin"));
    }
}
