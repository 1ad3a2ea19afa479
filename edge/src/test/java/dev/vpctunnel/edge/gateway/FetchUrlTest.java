package dev.vpctunnel.edge.gateway;

import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpVersion;
import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

class FetchUrlTest {
    private static final String HOST_CHARS = "abcXYZ019-.-.:@[]%_~";
    private static final String PATH_CHARS = "abZ09-._~!$&'()*+,;=:@/?/%#[] \"<>\\^`{|}é";

    /** The fast path must give exactly what java.net.URI gives, whenever it answers at all. */
    @Test
    void fastPathAgreesWithTheUriParserOnGeneratedInput() throws Exception {
        Random rnd = new Random(42);
        int fast = 0;
        for (int i = 0; i < 200_000; i++) {
            String scheme = rnd.nextBoolean() ? "http" : "https";
            String host = pick(rnd, HOST_CHARS, 1 + rnd.nextInt(14));
            if (rnd.nextInt(3) == 0) {
                host = "svc" + rnd.nextInt(10) + ".internal" + (rnd.nextBoolean() ? ":" + rnd.nextInt(70000) : "");
            }
            String target = "/" + pick(rnd, PATH_CHARS, rnd.nextInt(12));
            if (rnd.nextInt(4) == 0) {
                target = "/a%" + pick(rnd, "0fG%", 2) + "?q=" + pick(rnd, "ab%2f", 3);
            }
            FetchUrl f = FetchUrl.fast(scheme, host, target);
            if (f == null) {
                continue;
            }
            fast++;
            FetchUrl slow;
            try {
                slow = FetchUrl.fromAbsolute(scheme + "://" + host + target);
            } catch (FetchException e) {
                fail("fast path accepted " + host + target + " which the URI parser refuses: " + e.getMessage());
                return;
            }
            assertEquals(slow, f, host + target);
        }
        assertTrue(fast > 10_000, "the generated input exercised the fast path only " + fast + " times");
    }

    @Test
    void fastPathLeavesEverythingUnusualToTheUriParser() {
        assertNull(FetchUrl.fast("http", "10.0.0.1", "/"), "IP literals");
        assertNull(FetchUrl.fast("http", "[::1]:80", "/"));
        assertNull(FetchUrl.fast("http", "user@host", "/"), "credentials");
        assertNull(FetchUrl.fast("http", "host.", "/"), "a trailing dot");
        assertNull(FetchUrl.fast("http", "host", "/a b"), "spaces");
        assertNull(FetchUrl.fast("http", "host", "/a#frag"), "fragments");
        assertNull(FetchUrl.fast("http", "host", "/%zz"), "broken escapes");
        assertNull(FetchUrl.fast("http", "host:", "/"), "an empty port");
        assertEquals(new FetchUrl("https", "api.internal", 8443, "/x?y=1"), FetchUrl.fast("https", "API.internal:8443", "/x?y=1"));
    }

    @Test
    void parseUsesEitherPathWithTheSameRules() throws Exception {
        HttpRequest origin = new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, "/data?x=1");
        origin.headers().set("Host", "Api.Internal:8080").set("cf-vpc-scheme", "https");
        assertEquals(new FetchUrl("https", "api.internal", 8080, "/data?x=1"), FetchUrl.parse(origin));

        HttpRequest absolute = new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, "HTTP://web.internal");
        assertEquals(new FetchUrl("http", "web.internal", -1, "/"), FetchUrl.parse(absolute));

        HttpRequest creds = new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, "http://u:p@web.internal/");
        assertRefused(FetchError.Code.NO_ROUTE, "credentials in the URL are not allowed", creds);

        HttpRequest v6 = new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, "http://[fd00::5]:81/a");
        assertEquals(new FetchUrl("http", "fd00::5", 81, "/a"), FetchUrl.parse(v6));
    }

    /** A scheme other than http/https is scheme_not_allowed (403); a URL the gateway cannot route is no_route (502). */
    @Test
    void refusedUrlsCarryTheContractsCodes() {
        assertRefused(FetchError.Code.SCHEME_NOT_ALLOWED, "only http and https URLs can be fetched, got ftp",
                new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, "ftp://files.internal/a"));
        assertRefused(FetchError.Code.SCHEME_NOT_ALLOWED, "only http and https URLs can be fetched, got ws",
                new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, "WS://chat.internal/"));
        HttpRequest originFtp = new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, "/a");
        originFtp.headers().set("Host", "files.internal").set("cf-vpc-scheme", "ftp");
        assertRefused(FetchError.Code.SCHEME_NOT_ALLOWED, "cf-vpc-scheme must be http or https, got 'ftp'", originFtp);

        assertRefused(FetchError.Code.NO_ROUTE, "not a valid URL: http://web.internal/%zz",
                new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, "http://web.internal/%zz"));
        assertRefused(FetchError.Code.NO_ROUTE, "the URL has no host: http:///x",
                new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, "http:///x"));
        assertRefused(FetchError.Code.NO_ROUTE, "origin-form requests need a Host header (or send an absolute URL)",
                new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, "/x"));
        HttpRequest hostCreds = new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, "/x");
        hostCreds.headers().set("Host", "u@web.internal");
        assertRefused(FetchError.Code.NO_ROUTE, "credentials in the URL are not allowed", hostCreds);
        // authority-form (CONNECT's target) and a broken http URL are not other schemes
        assertRefused(FetchError.Code.NO_ROUTE, "request target must be an absolute http(s) URL or a path, got 'web.internal:443'",
                new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.CONNECT, "web.internal:443"));
        assertRefused(FetchError.Code.NO_ROUTE, "request target must be an absolute http(s) URL or a path, got 'http:/x'",
                new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, "http:/x"));
    }

    private static void assertRefused(FetchError.Code code, String message, HttpRequest req) {
        FetchException e = assertThrows(FetchException.class, () -> FetchUrl.parse(req), req.uri());
        assertEquals(code, e.error().code(), req.uri());
        assertEquals(message, e.getMessage(), req.uri());
    }

    private static String pick(Random rnd, String chars, int n) {
        StringBuilder b = new StringBuilder(n);
        for (int i = 0; i < n; i++) {
            b.append(chars.charAt(rnd.nextInt(chars.length())));
        }
        return b.toString();
    }
}
