package dev.vpctunnel.connector.origin;

import dev.vpctunnel.core.link.LinkHeaders;
import dev.vpctunnel.core.testing.SparePorts;
import dev.vpctunnel.proto.ConnectError;
import dev.vpctunnel.proto.ConnectRequest;
import dev.vpctunnel.proto.ErrorCode;
import dev.vpctunnel.proto.Scheme;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http2.DefaultHttp2ResetFrame;
import io.netty.handler.codec.http2.Http2Error;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Plain HTTP origins through a real HTTP/2 link. */
class OriginHttpTest {
    static TestOrigin origin;
    static TestOrigin origin6;
    static TestLink link;

    @BeforeAll
    static void start() throws Exception {
        origin = new TestOrigin("127.0.0.1", null);
        origin6 = new TestOrigin("::1", null, SparePorts.next()); // its port on 127.0.0.1 stays free: see dualStack…
        link = new TestLink(new OriginConfig(List.of(), List.of(), List.of()));
    }

    @AfterAll
    static void stop() {
        link.close();
        origin.close();
        origin6.close();
    }

    static ConnectRequest.Builder to(String address, int port) {
        return ConnectRequest.newBuilder().addAddresses(address).setPort(port).setScheme(Scheme.HTTP)
                .setServerName("api.internal").setConnectTimeoutMs(3000).setRequestId("t");
    }

    @Test
    void contentLengthResponseComesBackUnchanged() throws Exception {
        TestLink.Fetch f = link.get(to("127.0.0.1", origin.port()).build(), "/hello?x=1");
        HttpResponse r = f.response();
        assertEquals(201, r.status().code());
        assertEquals("yes", r.headers().get("x-origin"));
        assertEquals(List.of("a=1", "b=2"), r.headers().getAll("set-cookie"));
        assertNull(r.headers().get("cf-link-sneaky"), "cf-link-* from the origin is dropped");
        assertEquals("11", r.headers().get(HttpHeaderNames.CONTENT_LENGTH));
        assertEquals("hello world", f.bodyText());
        assertEquals("end", f.awaitOutcome());
    }

    @Test
    void chunkedResponseStreams() throws Exception {
        TestLink.Fetch f = link.get(to("127.0.0.1", origin.port()).build(), "/chunked");
        assertEquals(200, f.response().status().code());
        assertEquals("alpha,beta,gamma", f.bodyText());
        assertEquals("end", f.awaitOutcome());
    }

    @Test
    void requestHeadersAndBodyReachTheOriginWithoutLinkHeaders() throws Exception {
        ConnectRequest cr = to("127.0.0.1", origin.port()).build();
        HttpRequest req = new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.POST, "/headers?q=a%20b");
        req.headers().set(HttpHeaderNames.HOST, "api.internal").set(LinkHeaders.CONNECT, TestLink.encode(cr))
                .set("cf-link-other", "x").set("x-custom", "v1");
        TestLink.Fetch f = link.open(req, true, ch -> {
            ch.write(new DefaultHttpContent(Unpooled.copiedBuffer("part1-", StandardCharsets.UTF_8)));
            ch.writeAndFlush(new DefaultLastHttpContent(Unpooled.copiedBuffer("part2", StandardCharsets.UTF_8)));
        });
        assertEquals(200, f.response().status().code());
        Map<String, String> seen = TestOrigin.parseHeaders(f.bodyText());
        assertEquals("api.internal", seen.get("host"));
        assertEquals("v1", seen.get("x-custom"));
        assertEquals("POST", seen.get("method"));
        assertEquals("/headers?q=a%20b", seen.get("uri"));
        assertEquals("11", seen.get("body-bytes"));
        assertTrue(seen.keySet().stream().noneMatch(k -> k.startsWith("cf-link-") || k.startsWith("x-http2-")), seen.toString());
    }

    @Test
    void trailersAfterAnEmptyBodyReachTheOrigin() throws Exception {
        ConnectRequest cr = to("127.0.0.1", origin.port()).build();
        HttpRequest req = new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.POST, "/headers");
        req.headers().set(HttpHeaderNames.HOST, "api.internal").set(LinkHeaders.CONNECT, TestLink.encode(cr));
        // HEADERS, then trailers that end the stream, in one flush (when both are read before the origin connection is
        // up, the body's length comes from RequestPump.knownLength: RequestPumpTest)
        TestLink.Fetch f = link.open(req, true, ch -> {
            LastHttpContent end = new DefaultLastHttpContent();
            end.trailingHeaders().set("x-checksum", "0");
            ch.writeAndFlush(end);
        });
        assertEquals(200, f.response().status().code());
        Map<String, String> seen = TestOrigin.parseHeaders(f.bodyText());
        assertEquals("0", seen.get("trailer x-checksum"), f.bodyText());
        assertEquals("0", seen.get("body-bytes"));
    }

    @Test
    void keepAliveConnectionIsReused() throws Exception {
        ConnectRequest cr = to("127.0.0.1", origin.port()).build();
        String first = link.get(cr, "/conn").bodyText();
        Thread.sleep(50);
        String second = link.get(cr, "/conn").bodyText();
        String third = link.get(cr, "/conn").bodyText();
        assertEquals(first, second);
        assertEquals(first, third);
    }

    @Test
    void aConnectionIsNotReusedPastTheKeepAliveTimeoutTheOriginGave() throws Exception {
        ConnectRequest cr = to("127.0.0.1", origin.port()).build();
        String first = link.get(cr, "/keep-1s").bodyText();
        assertEquals(first, link.get(cr, "/keep-1s").bodyText(), "reused at once");
        // timeout=1: held 500 ms at most, so that a request never races the origin's close
        Thread.sleep(800);
        String later = link.get(cr, "/keep-1s").bodyText();
        assertFalse(first.equals(later), "a connection idle past the origin's keep-alive timeout was reused");
        assertEquals(later, link.get(cr, "/keep-1s").bodyText(), "the new connection is pooled again");
    }

    @Test
    void ipv6LoopbackOrigin() throws Exception {
        TestLink.Fetch f = link.get(to("::1", origin6.port()).build(), "/hello");
        assertEquals(201, f.response().status().code());
        assertEquals("hello world", f.bodyText());
    }

    @Test
    void dualStackFallsBackToTheFamilyThatAnswers() throws Exception {
        // IPv4 first, nothing listens on it for this port (origin6 only binds ::1): falls back to IPv6.
        long t0 = System.nanoTime();
        TestLink.Fetch f = link.get(to("127.0.0.1", origin6.port()).addAddresses("::1").setConnectTimeoutMs(10_000).build(),
                "/hello");
        assertEquals(201, f.response().status().code());
        assertTrue(System.nanoTime() - t0 < TimeUnit.SECONDS.toNanos(5), "fell back at the refusal, not at the timeout");
    }

    @Test
    void nothingListeningIsConnectFailed() throws Exception {
        int port = SparePorts.next(); // nothing listens there
        TestLink.Fetch f = link.get(to("127.0.0.1", port).build(), "/");
        HttpResponse r = f.response();
        assertEquals(502, r.status().code());
        ConnectError e = TestLink.error(r);
        assertNotNull(e);
        assertEquals(ErrorCode.CONNECT_FAILED, e.getCode());
        assertTrue(e.getMessage().contains("127.0.0.1:" + port), e.getMessage());
        assertEquals("end", f.awaitOutcome());
    }

    @Test
    void anUnreachableNetworkIsConnectFailedSayingSo() throws Exception {
        // the kernel refuses a TCP connect to a multicast address with ENETUNREACH, which Netty reports without a text
        ConnectError e = TestLink.error(link.get(to("224.0.0.1", 80).build(), "/").response());
        assertNotNull(e);
        assertEquals(ErrorCode.CONNECT_FAILED, e.getCode());
        assertTrue(e.getMessage().startsWith("cannot connect to 224.0.0.1:80: ") && e.getMessage().toLowerCase().contains("unreachable")
                && !e.getMessage().contains("null"), e.getMessage());
    }

    @Test
    void badConnectHeaderIsBadRequest() throws Exception {
        HttpRequest req = new io.netty.handler.codec.http.DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, "/");
        req.headers().set(LinkHeaders.CONNECT, "!!notbase64");
        TestLink.Fetch f = link.open(req, true, null);
        assertEquals(ErrorCode.BAD_REQUEST, TestLink.error(f.response()).getCode());
        TestLink.Fetch g = link.get(to("127.0.0.1", 0).build(), "/");
        ConnectError e = TestLink.error(g.response());
        assertEquals(ErrorCode.BAD_REQUEST, e.getCode());
        assertTrue(e.getMessage().contains("port"), e.getMessage());
    }

    @Test
    void originDyingMidBodyResetsTheStream() throws Exception {
        TestLink.Fetch f = link.get(to("127.0.0.1", origin.port()).build(), "/die");
        assertEquals(200, f.response().status().code());
        String outcome = f.awaitOutcome();
        assertTrue(outcome.startsWith("reset:"), "a cut-off body must not end cleanly, got " + outcome);
        assertTrue(f.bodyBytes < 1_000_000);
    }

    @Test
    void edgeResetClosesTheOriginConnection() throws Exception {
        TestLink.Fetch f = link.get(to("127.0.0.1", origin.port()).build(), "/hang");
        assertEquals(200, f.response().status().code());
        f.firstByte.get(10, TimeUnit.SECONDS);
        f.channel.writeAndFlush(new DefaultHttp2ResetFrame(Http2Error.CANCEL));
        assertTrue(origin.hangClosed.await(5, TimeUnit.SECONDS), "the origin connection is closed on cancel");
    }

    @Test
    void echoStreamsBothWays() throws Exception {
        ConnectRequest cr = to("127.0.0.1", origin.port()).build();
        HttpRequest req = new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.PUT, "/echo");
        req.headers().set(HttpHeaderNames.HOST, "api.internal").set(LinkHeaders.CONNECT, TestLink.encode(cr));
        TestLink.Fetch f = link.open(req, true, ch -> {
            for (int i = 0; i < 100; i++) {
                ch.write(new DefaultHttpContent(Unpooled.copiedBuffer("line " + i + "\n", StandardCharsets.UTF_8)));
            }
            ch.writeAndFlush(new DefaultLastHttpContent());
        });
        String body = f.bodyText();
        assertEquals("end", f.awaitOutcome());
        assertTrue(body.startsWith("line 0\nline 1\n"));
        assertTrue(body.endsWith("line 99\n"));
        assertFalse(body.isEmpty());
    }
}
