package dev.vpctunnel.connector.origin;

import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.Http2Headers;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Header rewriting between the link's HTTP/2 frames and the origin's HTTP/1.1. */
class HopHeadersTest {
    private static Http2Headers get(String path) {
        return new DefaultHttp2Headers().method("GET").path(path).scheme("https").authority("api.internal:8080")
                .add("accept", "*/*").add("x-multi", "1").add("x-multi", "2")
                .add("cf-link-connect", "Zm9v").add("cf-link-request-id", "7").add("te", "trailers")
                .add("x-http2-scheme", "https").add("proxy-authorization", "Bearer x");
    }

    @Test
    void originRequestTakesHostFromAuthorityAndDropsLinkAndHopHeaders() {
        HttpRequest r = HopHeaders.toOrigin(get("/a?b=1"), "api.internal", 0);
        assertEquals("GET", r.method().name());
        assertEquals("/a?b=1", r.uri());
        assertEquals("api.internal:8080", r.headers().get("host"));
        assertEquals("*/*", r.headers().get("accept"));
        assertEquals(List.of("1", "2"), r.headers().getAll("x-multi"));
        for (String gone : List.of("cf-link-connect", "cf-link-request-id", "te", "x-http2-scheme", "proxy-authorization",
                ":method", ":path", ":authority", ":scheme")) {
            assertFalse(r.headers().contains(gone), gone + " must not reach the origin");
        }
        assertFalse(r.headers().contains("content-length"), "a body-less GET gets no Content-Length");
        assertFalse(r.headers().contains("transfer-encoding"), "nor a chunked body");
    }

    @Test
    void bodyFramingFollowsWhatTheStreamSaid() {
        Http2Headers post = new DefaultHttp2Headers().method("POST").path("/").authority("h");
        assertEquals("0", HopHeaders.toOrigin(post, "h", 0).headers().get("content-length"),
                "an empty POST says so");
        assertEquals("5", HopHeaders.toOrigin(post, "h", 5).headers().get("content-length"));
        assertEquals("chunked", HopHeaders.toOrigin(post, "h", -1).headers().get("transfer-encoding"),
                "a body still streaming is chunked");
        Http2Headers withLength = new DefaultHttp2Headers().method("POST").path("/").authority("h").add("content-length", "9");
        HttpRequest r = HopHeaders.toOrigin(withLength, "h", -1);
        assertEquals("9", r.headers().get("content-length"));
        assertNull(r.headers().get("transfer-encoding"));
    }

    @Test
    void hostFallsBackToTheServerNameAndBracketsIpv6() {
        Http2Headers noAuthority = new DefaultHttp2Headers().method("GET").path("/");
        assertEquals("origin.internal", HopHeaders.toOrigin(noAuthority, "origin.internal", 0).headers().get("host"));
        assertEquals("[fd00::1]", HopHeaders.toOrigin(noAuthority, "fd00::1", 0).headers().get("host"));
    }

    /** Cookies split over several fields (h2c workers, or HTTP/1.1 ones that sent several lines) reach the origin as one. */
    @Test
    void cookieFieldsAreJoinedIntoOne() {
        Http2Headers in = get("/").add("cookie", "a=1").add("x-other", "o").add("cookie", "b=2").add("cookie", "c=3");
        HttpRequest r = HopHeaders.toOrigin(in, "h", 0);
        assertEquals(java.util.List.of("a=1; b=2; c=3"), r.headers().getAll("cookie"));
        assertEquals("o", r.headers().get("x-other"));
        assertEquals(java.util.List.of("only=1"), HopHeaders.toOrigin(get("/").add("cookie", "only=1"), "h", 0).headers()
                .getAll("cookie"));
    }

    @Test
    void aRequestLineThatWouldSplitIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> HopHeaders.toOrigin(get("/a b HTTP/1.1\r\nX: y"), "h", 0));
    }

    @Test
    void linkResponseDropsHopByHopConnectionListedAndLinkHeaders() {
        HttpResponse r = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.CREATED);
        r.headers().add("Content-Type", "text/plain").add("Set-Cookie", "a=1").add("Set-Cookie", "b=2")
                .add("Connection", "keep-alive, X-Hop").add("X-Hop", "1").add("Keep-Alive", "timeout=5")
                .add("Transfer-Encoding", "chunked").add("cf-link-error", "forged").add("Content-Length", "4");
        Http2Headers h = HopHeaders.toLink(r);
        assertEquals("201", h.status().toString());
        assertEquals("text/plain", h.get("content-type").toString());
        assertEquals(2, h.getAll("set-cookie").size());
        assertEquals("4", h.get("content-length").toString());
        for (String gone : List.of("connection", "x-hop", "keep-alive", "transfer-encoding", "cf-link-error")) {
            assertNull(h.get(gone), gone + " must not reach the edge");
        }
        h.forEach(e -> assertEquals(e.getKey().toString().toLowerCase(), e.getKey().toString()));
    }

    @Test
    void aReasonPhraseOtherThanTheStandardOneCrossesTheLink() {
        assertNull(HopHeaders.toLink(new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK)).get("cf-link-reason"),
                "the standard phrase is not sent (the edge knows it)");
        assertNull(HopHeaders.toLink(new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.valueOf(404, "Not Found")))
                .get("cf-link-reason"));
        for (String[] c : new String[][] {{"200", "Something"}, {"418", "I'm a teapot"}, {"299", "Weird Success"}, {"204", ""}}) {
            HttpResponseStatus st = HttpResponseStatus.valueOf(Integer.parseInt(c[0]), c[1]);
            Http2Headers h = HopHeaders.toLink(new DefaultHttpResponse(HttpVersion.HTTP_1_1, st));
            assertEquals(c[0], h.status().toString());
            assertEquals(c[1], h.get("cf-link-reason").toString(), c[0]);
        }
        for (String bad : new String[] {"a\u007fb", "a\u0001b", "a\u000cb", "a\u001bb"}) { // the decoder takes them
            assertNull(HopHeaders.toLink(new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.valueOf(200, bad)))
                    .get("cf-link-reason"), "a phrase with a control byte is not sent (the link would reset the stream)");
        }
        HttpResponse forged = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
        forged.headers().add("cf-link-reason", "forged");
        assertNull(HopHeaders.toLink(forged).get("cf-link-reason"), "an origin's own cf-link-reason header is dropped");
    }

    @Test
    void trailersAreFilteredBothWays() {
        HttpHeaders origin = new DefaultHttpHeaders().add("X-Sum", "1").add("cf-link-error", "x");
        Http2Headers toLink = HopHeaders.trailersToLink(origin);
        assertEquals("1", toLink.get("x-sum").toString());
        assertNull(toLink.get("cf-link-error"));

        HttpHeaders toOrigin = new DefaultHttpHeaders();
        HopHeaders.trailersToOrigin(new DefaultHttp2Headers().add("x-sum", "2").add("cf-link-request-id", "9"), toOrigin);
        assertEquals("2", toOrigin.get("x-sum"));
        assertTrue(toOrigin.size() == 1);
    }
}
