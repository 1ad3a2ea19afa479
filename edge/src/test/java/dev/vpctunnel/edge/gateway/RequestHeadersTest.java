package dev.vpctunnel.edge.gateway;

import dev.vpctunnel.core.link.LinkHeaders;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.Http2Headers;
import org.junit.jupiter.api.Test;

import java.util.Base64;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The header rules of the gateway on the tunnel stream's HTTP/2 frames, both ways. */
class RequestHeadersTest {
    @Test
    void tunnelRequestKeepsEndToEndHeadersAndDropsHopByHopRoutingAndLinkHeaders() {
        HttpRequest in = new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.POST, "/ignored");
        in.headers()
                .add("Host", "worker-said.example")
                .add("Accept", "a/b")
                .add("X-Multi", "1").add("X-Multi", "2")
                .add("Connection", "keep-alive, X-Secret-Hop")
                .add("X-Secret-Hop", "must go")
                .add("Keep-Alive", "timeout=5")
                .add("TE", "trailers")
                .add("Upgrade", "h2c")
                .add("Proxy-Authorization", "Bearer gw_x")
                .add("cf-vpc-binding", "API")
                .add("CF-VPC-Scheme", "https")
                .add("cf-link-connect", "forged")
                .add("cf-link-error", "forged")
                .add("x-http2-stream-id", "7")
                .add("Content-Length", "3");
        Http2Headers h = RequestHeaders.forTunnel(in, "/p?q=1", "api.internal:8080", new byte[] {1, 2}, "ab12");

        assertEquals("POST", h.method().toString());
        assertEquals("/p?q=1", h.path().toString());
        assertEquals("api.internal:8080", h.authority().toString(), "Host is what routing says, as :authority");
        assertEquals("a/b", h.get("accept").toString());
        assertEquals(List.of("1", "2"), h.getAll("x-multi").stream().map(CharSequence::toString).toList());
        assertEquals("3", h.get("content-length").toString());
        for (String gone : List.of("host", "connection", "x-secret-hop", "keep-alive", "te", "upgrade",
                "proxy-authorization", "cf-vpc-binding", "cf-vpc-scheme", "cf-link-error", "x-http2-stream-id")) {
            assertNull(h.get(gone), gone + " must not reach the connector");
        }
        assertEquals(Base64.getEncoder().encodeToString(new byte[] {1, 2}), h.get(LinkHeaders.CONNECT).toString(),
                "the worker's cf-link-connect is replaced by the gateway's");
        assertEquals("ab12", h.get(LinkHeaders.REQUEST_ID).toString());
        h.forEach(e -> assertEquals(e.getKey().toString().toLowerCase(), e.getKey().toString(), "HTTP/2 names are lower case"));
    }

    @Test
    void chunkedRequestLosesAStrayContentLength() {
        HttpRequest in = new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.PUT, "/");
        in.headers().add("Transfer-Encoding", "chunked");
        Http2Headers h = RequestHeaders.forTunnel(in, "/", "h", new byte[0], "1");
        assertNull(h.get("transfer-encoding"));
        assertNull(h.get("content-length"));
    }

    @Test
    void responseHeadFromTheTunnelDropsPseudoHeadersAndEndsWhenTheStreamDid() {
        Http2Headers h = new DefaultHttp2Headers().status("404").add("content-type", "text/plain").add("set-cookie", "a=1")
                .add("set-cookie", "b=2");
        HttpResponse open = RequestHeaders.fromTunnel(h, false);
        assertEquals(404, open.status().code());
        assertFalse(open instanceof FullHttpResponse);
        assertEquals(List.of("a=1", "b=2"), open.headers().getAll("set-cookie"));
        assertFalse(open.headers().contains(":status"));

        HttpResponse ended = RequestHeaders.fromTunnel(new DefaultHttp2Headers().status("204"), true);
        FullHttpResponse full = assertInstanceOf(FullHttpResponse.class, ended);
        assertEquals(0, full.content().readableBytes());
        full.release();
    }

    @Test
    void aStatusNettyDoesNotKnowGetsNoMadeUpReasonPhrase() {
        assertEquals("OK", RequestHeaders.fromTunnel(new DefaultHttp2Headers().status("200"), false).status().reasonPhrase());
        assertEquals("Not Found", RequestHeaders.fromTunnel(new DefaultHttp2Headers().status("404"), false).status().reasonPhrase());
        for (String code : List.of("299", "499", "599", "150")) {
            HttpResponse r = RequestHeaders.fromTunnel(new DefaultHttp2Headers().status(code), false);
            assertEquals(Integer.parseInt(code), r.status().code());
            assertEquals("", r.status().reasonPhrase(), code); // Netty's own: "Success (299)"
        }
    }

    @Test
    void theOriginsOwnReasonPhraseIsUsedWhenItIsAValidOne() {
        HttpResponse r = RequestHeaders.fromTunnel(new DefaultHttp2Headers().status("200").add("cf-link-reason", "Something é"), false);
        assertEquals("Something é", r.status().reasonPhrase());
        assertNull(r.headers().get("cf-link-reason"), "the link's header does not reach the worker");
        assertEquals("I'm a teapot", RequestHeaders.fromTunnel(new DefaultHttp2Headers().status("418")
                .add("cf-link-reason", "I'm a teapot"), false).status().reasonPhrase());
        assertEquals("", RequestHeaders.fromTunnel(new DefaultHttp2Headers().status("200")
                .add("cf-link-reason", ""), false).status().reasonPhrase());
        for (String bad : List.of("a\r\nX-Injected: 1", "nul\0", "del\u007f", "wide\u0100")) {
            assertEquals("OK", RequestHeaders.fromTunnel(new DefaultHttp2Headers(false, false, 2).status("200")
                    .add("cf-link-reason", bad), false).status().reasonPhrase(), bad);
        }
    }

    @Test
    void aMalformedStatusIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> RequestHeaders.fromTunnel(new DefaultHttp2Headers().status("abc"), false));
        assertThrows(IllegalArgumentException.class, () -> RequestHeaders.fromTunnel(new DefaultHttp2Headers(), false));
    }

    @Test
    void trailersAreFilteredBothWays() {
        HttpHeaders worker = new DefaultHttpHeaders().add("X-Checksum", "abc").add("cf-link-error", "x")
                .add("Proxy-Authorization", "Bearer t");
        Http2Headers toTunnel = RequestHeaders.trailersForTunnel(worker);
        assertEquals("abc", toTunnel.get("x-checksum").toString());
        assertNull(toTunnel.get("cf-link-error"));
        assertNull(toTunnel.get("proxy-authorization"));

        LastHttpContent fromTunnel = RequestHeaders.trailersFromTunnel(new DefaultHttp2Headers()
                .add("grpc-status", "0").add("cf-vpc-error", "no_route").add(LinkHeaders.ERROR, "x"));
        assertEquals("0", fromTunnel.trailingHeaders().get("grpc-status"));
        assertFalse(fromTunnel.trailingHeaders().contains("cf-vpc-error"), "an origin cannot fake a gateway error");
        assertFalse(fromTunnel.trailingHeaders().contains(LinkHeaders.ERROR));
        assertTrue(fromTunnel.content().readableBytes() == 0);
        fromTunnel.release();
    }
}
