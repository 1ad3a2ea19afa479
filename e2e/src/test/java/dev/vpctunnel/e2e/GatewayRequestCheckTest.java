package dev.vpctunnel.e2e;

import dev.vpctunnel.core.link.LinkHeaders;
import dev.vpctunnel.edge.directory.NetworkBinding;
import dev.vpctunnel.edge.directory.ServiceBinding;
import dev.vpctunnel.edge.directory.ServiceRecord;
import dev.vpctunnel.edge.directory.TunnelRecord;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2Headers;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Requests the gateway must refuse, or answer in a way the worker can understand, before anything reaches a link. */
class GatewayRequestCheckTest {
    private static GatewayFixture f;
    private static TestOrigins origins;
    private static String token;
    private static TunnelRecord tunnel;

    @BeforeAll
    static void setUp() throws Exception {
        origins = new TestOrigins();
        f = new GatewayFixture();
        tunnel = f.tunnel("main");
        f.connect(tunnel, 1, List.of());
        ServiceRecord web = f.service("web", origins.echoPort(), null, "127.0.0.1", null, tunnel.id());
        token = f.worker("w", List.of(new ServiceBinding("WEB", web.id()), new NetworkBinding("NET", tunnel.id())));
    }

    @AfterAll
    static void tearDown() throws Exception {
        f.close();
        origins.close();
    }

    private static Http2Headers h2(String method, String scheme, String authority, String path) {
        return H2cProbe.request(method, scheme, authority, path)
                .add("proxy-authorization", "Bearer " + token).add("cf-vpc-binding", "WEB");
    }

    /**
     * RFC 9113 8.3.1: a request without :method, :scheme or :path, or with an empty :path, is malformed; so is a
     * :method that is no token, or a :path with a space (a line break in it ends the connection: Netty's HPACK decoder).
     */
    @Test
    void anH2cStreamWithMissingPseudoHeadersIsResetWithProtocolErrorAtOnce() throws Exception {
        try (H2cProbe p = new H2cProbe(f.gateway.port())) {
            assertEquals("200", p.send(h2("GET", "http", "api.internal", "/x"), null, 5000).status());
            // and what Netty's HTTP/1 conversion throws on, taking a body buffer it never released (a leak per stream)
            for (Http2Headers bad : List.of(h2(null, "http", "api.internal", "/x"), h2("GET", "http", "api.internal", null),
                    h2("GET", null, "api.internal", "/x"), h2("GET", "http", "api.internal", ""),
                    h2("GE T", "http", "api.internal", "/x"), h2("G(T", "http", "api.internal", "/x"),
                    h2("GET", "http", "api.internal", "/x y"), h2("connect", "http", null, "/x"),
                    h2("CONNECT", "http", null, "/x").add(":protocol", "websocket"))) {
                // with a body too, except for the empty :path that Netty's HPACK decoder refuses before the stream
                // exists (DATA on such a stream is then a connection error, Netty's rule)
                for (String body : bad.path() != null && bad.path().length() == 0 ? new String[] {null} : new String[] {null, "abc"}) {
                    H2cProbe.Answer a = p.send(bad, body, 3000);
                    assertEquals(Http2Error.PROTOCOL_ERROR, a.reset(), bad + (body == null ? "" : " + DATA") + ": " + a);
                    assertNull(a.status(), a.toString());
                }
            }
            assertTrue(p.isOpen(), "only the stream is refused, not the connection");
            H2cProbe.Answer after = p.send(h2("GET", "http", "api.internal", "/after"), null, 5000);
            assertEquals("200", after.status(), after.toString());
            assertTrue(after.body().contains("path=/after"), after.toString());
        }
    }

    /** CONNECT (curl -x with an https URL) is no fetch: no_route saying so, over HTTP/1.1 and h2c alike. */
    @Test
    void connectIsRefusedAsNoRouteOverBothProtocols() throws Exception {
        RawHttp.Response r = RawHttp.send(f.gateway.port(), "CONNECT api.internal:443 HTTP/1.1\r\nHost: api.internal:443\r\n"
                + "Proxy-Authorization: Bearer " + token + "\r\ncf-vpc-binding: WEB\r\nConnection: close\r\n\r\n", null);
        assertError(r, r.status(), "no_route");
        try (H2cProbe p = new H2cProbe(f.gateway.port())) {
            Http2Headers connect = new io.netty.handler.codec.http2.DefaultHttp2Headers().method("CONNECT")
                    .authority("api.internal:443").add("proxy-authorization", "Bearer " + token).add("cf-vpc-binding", "WEB");
            H2cProbe.Answer a = p.send(connect, null, 5000);
            assertEquals(Integer.toString(r.status()), a.status(), a.toString());
            assertEquals("no_route", a.error(), a.toString());
            assertTrue(a.body().contains("CONNECT"), a.toString());
            assertTrue(p.isOpen(), "only the stream is answered, not the connection closed");
            assertEquals("200", p.send(h2("GET", "http", "api.internal", "/after"), null, 5000).status());
        }
        assertTrue(r.text().contains("CONNECT"), r.text());
    }

    /**
     * An h2c request refused by the gateway itself while its body is still to come: the answer, then RST_STREAM(NO_ERROR)
     * (RFC 9113 8.1: stop sending, the response is complete), never CANCEL, which clients take as a failed fetch.
     */
    @Test
    void anH2cRequestRefusedBeforeItsBodyGetsItsAnswerThenNoError() throws Exception {
        try (H2cProbe p = new H2cProbe(f.gateway.port())) {
            Http2Headers connect = new io.netty.handler.codec.http2.DefaultHttp2Headers().method("CONNECT")
                    .authority("api.internal:443").add("proxy-authorization", "Bearer " + token).add("cf-vpc-binding", "WEB");
            Http2Headers hosts = h2("POST", "http", "api.internal", "/x").add("host", "other.internal");
            // and the fetch errors answered further on (those streams used to stay open until the 300 s idle reset,
            // 10,000 of them on one connection without a token)
            Http2Headers noToken = H2cProbe.request("POST", "http", "api.internal", "/x").add("cf-vpc-binding", "WEB");
            Http2Headers noBinding = H2cProbe.request("POST", "http", "api.internal", "/x")
                    .add("proxy-authorization", "Bearer " + token).add("expect", "100-continue");
            Map<Http2Headers, String> expected = new java.util.LinkedHashMap<>();
            expected.put(connect, "502");
            expected.put(hosts, "400");
            expected.put(noToken, "401");
            expected.put(noBinding, "403");
            for (Map.Entry<Http2Headers, String> e : expected.entrySet()) {
                H2cProbe.Answer a = p.sendAndKeepOpen(e.getKey(), 5000);
                assertEquals(e.getValue(), a.status(), a.toString());
                assertEquals(Http2Error.NO_ERROR, a.reset(), a.toString());
            }
            assertTrue(p.isOpen(), "only the streams were answered");
        }
    }

    /** Host / :authority is host[:port] only: a path, query or fragment in it never moves the request's path. */
    @Test
    void aPathInHostOrAuthorityIsRefusedNotFetched() throws Exception {
        for (String host : List.of("a.internal/evil?q=1#f", "a.internal#@b.internal", "a.internal?q", "a.internal:abc")) {
            RawHttp.Response r = f.fetch(token, "WEB", "/x", "Host: " + host + "\r\n", null);
            assertError(r, 502, "no_route");
            assertTrue(r.text().contains(host.replace("\"", "")), r.text());
        }
        RawHttp.Response port = f.fetch(token, "NET", "http://127.0.0.1:99999999/x", "", null);
        assertError(port, 502, "no_route");
        assertTrue(port.text().contains("'127.0.0.1:99999999': port must be 1-65535"), port.text());
        try (H2cProbe p = new H2cProbe(f.gateway.port())) {
            H2cProbe.Answer a = p.send(h2("GET", "http", "api.internal/evil", "/x"), null, 5000);
            assertEquals("502", a.status(), a.toString());
            assertEquals("no_route", a.error(), a.toString());
            assertTrue(a.body().contains(":authority must be host[:port]"), a.toString());
        }
    }

    /** Only HTTP/1.0 and HTTP/1.1 heads are fetches; another version is a plain 505 before any stream opens. */
    @Test
    void anHttpVersionOtherThan10Or11IsA505() throws Exception {
        String rest = " HTTP/%s\r\nProxy-Authorization: Bearer " + token + "\r\ncf-vpc-binding: WEB\r\nConnection: close\r\n\r\n";
        for (String v : new String[] {"9.9", "2.0", "1.2", "0.9"}) {
            RawHttp.Response r = RawHttp.send(f.gateway.port(), "GET http://api.internal/x" + String.format(rest, v), null);
            assertEquals(505, r.status(), v + ": " + r.text());
            assertNull(r.header("cf-vpc-error"), r.text());
            assertNull(r.header("x-origin"), r.text());
            assertTrue(r.text().startsWith("HTTP version not supported: HTTP/" + v + " "), r.text());
        }
        RawHttp.Response ten = RawHttp.send(f.gateway.port(), "GET http://api.internal/x" + String.format(rest, "1.0"), null);
        assertEquals(200, ten.status(), ten.text());
        assertEquals("echo", ten.header("x-origin"), ten.text());
    }

    /** RFC 9112 3.2: more than one Host is a 400; so is a second binding, scheme or worker token (never first-one-wins). */
    @Test
    void duplicateHostBindingOrTokenIsA400() throws Exception {
        String auth = "Proxy-Authorization: Bearer " + token + "\r\n";
        for (String[] c : new String[][] {
                {"GET /x HTTP/1.1\r\n" + auth + "cf-vpc-binding: WEB\r\nHost: api.internal\r\nHost: other.internal\r\n", "more than one Host header"},
                {"GET http://api.internal/x HTTP/1.1\r\n" + auth + "cf-vpc-binding: WEB\r\ncf-vpc-binding: NET\r\n", "more than one cf-vpc-binding header"},
                {"GET /x HTTP/1.1\r\nHost: api.internal\r\n" + auth + "cf-vpc-binding: WEB\r\ncf-vpc-scheme: http\r\nCF-VPC-Scheme: https\r\n",
                        "more than one cf-vpc-scheme header"},
                {"GET http://api.internal/x HTTP/1.1\r\n" + auth + "Proxy-Authorization: Bearer other\r\ncf-vpc-binding: WEB\r\n", "more than one Proxy-Authorization header"}}) {
            RawHttp.Response r = RawHttp.send(f.gateway.port(), c[0] + "\r\n", null);
            assertEquals(400, r.status(), c[0] + ": " + r.text());
            assertNull(r.header("cf-vpc-error"), r.text());
            assertNull(r.header("x-origin"), r.text());
            assertTrue(r.text().startsWith("bad request: " + c[1]), r.text());
        }
        try (H2cProbe p = new H2cProbe(f.gateway.port())) {
            H2cProbe.Answer differ = p.send(h2("GET", "http", "api.internal", "/x").add("host", "other.internal"), null, 5000);
            assertEquals("400", differ.status(), differ.toString());
            assertTrue(differ.body().contains(":authority and host field differ: 'api.internal' and 'other.internal'"), differ.toString());
            H2cProbe.Answer same = p.send(h2("GET", "http", "api.internal", "/x").add("host", "api.internal"), null, 5000);
            assertEquals("200", same.status(), same.toString());
            // Netty's HTTP/1 conversion would fail these streams (a bare RST_STREAM) if the gateway did not answer first
            H2cProbe.Answer secondDiffers = p.send(h2("GET", "http", "api.internal", "/x")
                    .add("host", "api.internal").add("host", "other.internal"), null, 5000);
            assertEquals("400", secondDiffers.status(), secondDiffers.toString());
            assertTrue(secondDiffers.body().contains(":authority and host field differ: 'api.internal' and 'other.internal'"),
                    secondDiffers.toString());
            H2cProbe.Answer hostsOnly = p.send(h2("GET", "http", null, "/x")
                    .add("host", "api.internal").add("host", "other.internal"), null, 5000);
            assertEquals("400", hostsOnly.status(), hostsOnly.toString());
            assertTrue(hostsOnly.body().contains("host fields differ: 'api.internal' and 'other.internal'"), hostsOnly.toString());
            H2cProbe.Answer sameTwice = p.send(h2("GET", "http", null, "/x")
                    .add("host", "api.internal").add("host", "API.internal"), null, 5000);
            assertEquals("200", sameTwice.status(), sameTwice.toString());
            H2cProbe.Answer twoBindings = p.send(h2("GET", "http", "api.internal", "/x").add("cf-vpc-binding", "NET"), null, 5000);
            assertEquals("400", twoBindings.status(), twoBindings.toString());
            assertTrue(twoBindings.body().startsWith("bad request: more than one cf-vpc-binding header"), twoBindings.toString());
            H2cProbe.Answer twoTokensWithBody = p.send(h2("POST", "http", "api.internal", "/x")
                    .add("proxy-authorization", "Bearer other"), "a body", 5000);
            assertEquals("400", twoTokensWithBody.status(), twoTokensWithBody.toString());
            assertTrue(twoTokensWithBody.body().startsWith("bad request: more than one Proxy-Authorization header"),
                    twoTokensWithBody.toString());
            H2cProbe.Answer after = p.send(h2("GET", "http", "api.internal", "/x"), null, 5000);
            assertEquals("200", after.status(), after.toString());
        }
    }

    /** The tunnel's links by identity (connector, index, when opened); not their open-stream counts, which move. */
    private List<String> linkIds() {
        return f.tunnels.router().links(tunnel.id()).stream()
                .map(l -> l.connectorId() + "#" + l.linkIndex() + "@" + l.openedAt()).toList();
    }

    /** {@code n} header lines "x-h0000: v" (12 bytes each as HTTP/1.1 sends them, 40 as HTTP/2 counts them). */
    private static String tinyHeaders(int n) {
        StringBuilder many = new StringBuilder();
        for (int i = 0; i < n; i++) {
            many.append(String.format("x-h%04d: v\r\n", i));
        }
        return many.toString();
    }

    /**
     * A head the HTTP/1.1 decoder takes (under Cloudflare's 128 KB) but that is too large for the link's header list
     * limit once it is an HTTP/2 header list with the link's own headers: a 431 before any stream is opened, and the
     * link unharmed.
     */
    @Test
    void aHeadTooLargeForTheLinkIsA431AndTheLinkStaysUp() throws Exception {
        List<String> linksBefore = linkIds();
        // 72 KB as sent, 240 KB as HTTP/2 counts it
        RawHttp.Response r = f.fetch(token, "WEB", "http://api.internal/x", tinyHeaders(6000), null);
        assertEquals(431, r.status(), r.text());
        assertTrue(r.text().startsWith("request header fields too large: "), r.text());
        assertNull(r.header("x-origin"), r.text());

        // a 60 KB Host is no host name at all: refused as such (no_route), before any stream, not stream_reset
        RawHttp.Response host = f.fetch(token, "WEB", "/x", "Host: " + "a".repeat(60_000) + ".internal\r\n", null);
        assertError(host, 502, "no_route");
        assertTrue(host.text().contains("is neither a valid host name nor an IPv4 address"), host.text());

        // just under the limit as the worker sent it, just over it with the link's own headers added: the exact check.
        // What the estimate counts: method, target and every field (name + value + 32 each).
        String url = "http://api.internal/x";
        int others = 3 + url.length() + 2 * 32 + ("proxy-authorization".length() + ("Bearer " + token).length() + 32)
                + ("cf-vpc-binding".length() + 3 + 32) + ("connection".length() + 5 + 32) + 4000 * 40;
        String big = "x".repeat(LinkHeaders.MAX_HEADER_LIST - 5 - others - ("x-big".length() + 32));
        RawHttp.Response exact = f.fetch(token, "WEB", url, tinyHeaders(4000) + "x-big: " + big + "\r\n", null);
        assertEquals(431, exact.status(), exact.text());
        assertTrue(exact.text().contains("at most " + LinkHeaders.MAX_HEADER_LIST + " can go over the tunnel link"), exact.text());

        // Cloudflare's limits: 128 KB of request headers, a URL of 16 KB
        RawHttp.Response ok = f.fetch(token, "WEB", url + "?q=" + "y".repeat(16_000),
                "x-big: " + "x".repeat(120_000) + "\r\n", null);
        assertEquals(200, ok.status(), ok.text());
        assertEquals(linksBefore, linkIds(), "the same link carries on");

        // over the HTTP/1.1 decoder's own limits: 431 for the head, 414 for the request line, no stream opened
        RawHttp.Response huge = f.fetch(token, "WEB", url, "x-big: " + "x".repeat(140_000) + "\r\n", null);
        assertEquals(431, huge.status(), huge.text());
        assertTrue(huge.text().startsWith("request header fields too large: "), huge.text());
        RawHttp.Response longLine = f.fetch(token, "WEB", url + "?q=" + "y".repeat(20_000), "", null);
        assertEquals(414, longLine.status(), longLine.text());
        assertTrue(longLine.text().startsWith("request line too long: "), longLine.text());
        assertNull(longLine.header("x-origin"), longLine.text());
        assertEquals(linksBefore, linkIds(), "the same link carries on");
    }

    /** Junk after the h2c preface is the peer's problem: the connection closes, and nothing is logged as a warning. */
    @Test
    void junkAfterTheH2cPrefaceClosesTheConnectionQuietly() throws Exception {
        java.util.logging.Logger netty = java.util.logging.Logger.getLogger("io.netty.channel.DefaultChannelPipeline");
        List<java.util.logging.LogRecord> warnings = new java.util.concurrent.CopyOnWriteArrayList<>();
        java.util.logging.Handler h = new java.util.logging.Handler() {
            @Override
            public void publish(java.util.logging.LogRecord r) {
                if (r.getLevel().intValue() >= java.util.logging.Level.WARNING.intValue()) {
                    warnings.add(r);
                }
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
        netty.addHandler(h);
        try {
            for (int i = 0; i < 3; i++) {
                try (java.net.Socket s = new java.net.Socket(java.net.InetAddress.getLoopbackAddress(), f.gateway.port())) {
                    s.setSoTimeout(5000);
                    s.getOutputStream().write(("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + "this is not an HTTP/2 frame at all\r\n".repeat(4))
                            .getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
                    s.getInputStream().readAllBytes(); // the gateway's SETTINGS and GOAWAY, then the close
                }
            }
            Thread.sleep(200);
        } finally {
            netty.removeHandler(h);
        }
        assertEquals(List.of(), warnings.stream().map(java.util.logging.LogRecord::getMessage).toList());
    }

    /** Refusals name what the worker sent: :scheme (not a cf-vpc-scheme it never sent); '*' is no URL. */
    @Test
    void h2cRefusalsNameWhatWasSent() throws Exception {
        try (H2cProbe p = new H2cProbe(f.gateway.port())) {
            H2cProbe.Answer ftp = p.send(h2("GET", "ftp", "api.internal", "/x"), null, 5000);
            assertEquals("403", ftp.status(), ftp.toString());
            assertEquals("scheme_not_allowed", ftp.error(), ftp.toString());
            assertTrue(ftp.body().contains(":scheme must be http or https, got 'ftp'"), ftp.toString());
            H2cProbe.Answer star = p.send(h2("OPTIONS", "http", "api.internal", "*"), null, 5000);
            assertEquals("502", star.status(), star.toString());
            assertEquals("no_route", star.error(), star.toString());
            assertTrue(star.body().contains("the request target '*' asks about the gateway itself"), star.toString());
        }
    }

    private static void assertError(RawHttp.Response r, int status, String code) {
        assertEquals(status, r.status(), r.text());
        assertEquals(code, r.header("cf-vpc-error"), r.text());
        assertNull(r.header("x-origin"), "the origin was reached: " + r.text());
    }
}
