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
    private static final String LABEL_CHARS = "aZ09__--.";
    private static final String PATH_CHARS = "abZ09-._~!$&'()*+,;=:@/?/%#[] \"<>\\^`{|}é";

    /** The fast path must give exactly what java.net.URI gives, whenever it answers at all. */
    @Test
    void fastPathAgreesWithTheUriParserOnGeneratedInput() throws Exception {
        Random rnd = new Random(42);
        int fast = 0;
        int underscore = 0;
        for (int i = 0; i < 200_000; i++) {
            String scheme = rnd.nextBoolean() ? "http" : "https";
            String host = pick(rnd, HOST_CHARS, 1 + rnd.nextInt(14));
            int kind = rnd.nextInt(3);
            if (kind == 0) {
                host = "svc" + rnd.nextInt(10) + ".internal" + (rnd.nextBoolean() ? ":" + rnd.nextInt(70000) : "");
            } else if (kind == 1) {
                // registry-style names (java.net.URI has no host for them): labels of letters, digits, '-' and '_'
                host = label(rnd) + (rnd.nextBoolean() ? "" : "." + label(rnd)) + (rnd.nextInt(4) == 0 ? ":" + rnd.nextInt(70000) : "");
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
            if (host.indexOf('_') >= 0) {
                underscore++;
            }
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
        assertTrue(underscore > 2_000, "the generated input exercised the fast path with '_' only " + underscore + " times");
    }

    /** What a Worker's fetch() sends as it is (the WHATWG URL parser leaves these alone) goes on as it is. */
    @Test
    void pathsAndQueriesThatFetchSendsAreTakenAsTheyCame() throws Exception {
        String[] asIs = {"/a|b^?json={\"a\":1}&t=`1`", "/p?x=50%", "/x?x=%zz", "/a%20b/%zz?x=%G1&y=a|b", "/{id}/[0]", "/~u/a\\b"};
        for (String t : asIs) {
            assertEquals(new FetchUrl("http", "api.internal", -1, t), FetchUrl.parse(
                    new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, "http://api.internal" + t)), t);
            HttpRequest origin = new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, t);
            origin.headers().set("Host", "10.0.0.5:8080");
            assertEquals(new FetchUrl("http", "10.0.0.5", 8080, t), FetchUrl.parse(origin), t);
        }
        // what a request line cannot carry is escaped as fetch() escapes it: raw UTF-8 bytes (read as ISO-8859-1 chars)
        assertEquals("/caf%C3%A9?q=%C3%A9", FetchUrl.parse(new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET,
                "http://api.internal/caf\u00c3\u00a9?q=\u00c3\u00a9")).pathAndQuery());
        assertEquals("/a%20b/%E2%82%AC", FetchUrl.fromAbsolute("http://api.internal/a b/\u20ac").pathAndQuery());
        assertEquals("/?x=1", FetchUrl.fromAbsolute("http://api.internal?x=1#top").pathAndQuery());
        assertEquals("/a", FetchUrl.fromAbsolute("http://my_svc.internal/a#{x}").pathAndQuery());
        FetchException e = assertThrows(FetchException.class, () -> FetchUrl.fromAbsolute("http://api.internal/a\u0001b"));
        assertEquals(FetchError.Code.NO_ROUTE, e.error().code());
        assertTrue(e.getMessage().contains("control character"), e.getMessage());
        assertRefused(FetchError.Code.NO_ROUTE, "credentials in the URL are not allowed",
                new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, "http://u@api.internal/{x}"));
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

    /** Service and route hostnames may hold '_' (the admin API takes them): URLs with such a host are fetched. */
    @Test
    void registryStyleHostsWithUnderscores() throws Exception {
        assertEquals(new FetchUrl("http", "my_svc.internal", -1, "/x"), FetchUrl.fromAbsolute("http://my_svc.internal/x"));
        assertEquals(new FetchUrl("https", "my_api", 8443, "/a?b=1"), FetchUrl.fromAbsolute("https://My_Api:8443/a?b=1"));
        assertEquals(new FetchUrl("http", "_svc.my-zone", -1, "/"), FetchUrl.fromAbsolute("http://_svc.MY-zone"));
        assertEquals(new FetchUrl("http", "my_svc.internal.", 81, "/"), FetchUrl.fromAbsolute("http://my_svc.internal.:81/"),
                "a trailing dot is kept, as java.net.URI keeps it in web.internal.");
        assertEquals(new FetchUrl("http", "my_svc.internal", -1, "/x"), FetchUrl.fast("http", "my_svc.internal", "/x"));
        assertEquals(new FetchUrl("http", "my_api", 8080, "/x"), FetchUrl.fast("http", "MY_API:8080", "/x"));

        HttpRequest absolute = new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, "http://my_svc.internal/x");
        assertEquals(new FetchUrl("http", "my_svc.internal", -1, "/x"), FetchUrl.parse(absolute));
        HttpRequest origin = new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, "/x?y");
        origin.headers().set("Host", "My_Svc.internal:8080").set("cf-vpc-scheme", "https");
        assertEquals(new FetchUrl("https", "my_svc.internal", 8080, "/x?y"), FetchUrl.parse(origin));
        HttpRequest slow = new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, "http://my_svc.internal/a%20b#frag");
        assertEquals(new FetchUrl("http", "my_svc.internal", -1, "/a%20b"), FetchUrl.parse(slow));

        assertRefused(FetchError.Code.NO_ROUTE, "credentials in the URL are not allowed",
                new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, "http://u:p@my_svc.internal/"));
        assertRefused(FetchError.Code.NO_ROUTE, "credentials in the URL are not allowed",
                new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, "http://10.0.0.1:80@my_svc/"));
        for (String bad : new String[]{"http://a..b_c/", "http://-a_b/", "http://a_b-/", "http://my_svc:8:9/", "http://my%5Fsvc/",
                "http://a_b.123/", "http://1_2/", "http://my_svc:99999999999/", "http://my_svc:8o/", "http://_/", "http://a_b../",
                "http://" + "a".repeat(64) + "_b/", "http://my_svc.!/", "http://my_svc.internal,x/"}) {
            FetchException e = assertThrows(FetchException.class,
                    () -> FetchUrl.parse(new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, bad)), bad);
            assertEquals(FetchError.Code.NO_ROUTE, e.error().code(), bad);
            assertTrue(e.getMessage().startsWith("the URL's host"), bad + ": " + e.getMessage());
        }
    }

    /**
     * Host (and an absolute URL's authority) is exactly host[:port]: nothing in it may become part of the path, and
     * what is wrong with it is said plainly.
     */
    @Test
    void hostIsExactlyHostAndPortAndCannotMoveThePath() throws Exception {
        assertRefused(FetchError.Code.NO_ROUTE, "Host must be host[:port] (a name, an IPv4 address or an [IPv6] address), got 'a.internal/evil?q=1#f'",
                origin("/x", "a.internal/evil?q=1#f"));
        assertRefused(FetchError.Code.NO_ROUTE, "Host must be host[:port] (a name, an IPv4 address or an [IPv6] address), got 'a.internal#@b.internal'",
                origin("/x", "a.internal#@b.internal"));
        assertRefused(FetchError.Code.NO_ROUTE, "Host must be host[:port] (a name, an IPv4 address or an [IPv6] address), got 'a.internal?x'",
                origin("/x", "a.internal?x"));
        FetchException h2 = assertThrows(FetchException.class, () -> FetchUrl.parse(origin("/x", "api.internal/evil"), true));
        assertEquals(":authority must be host[:port] (a name, an IPv4 address or an [IPv6] address), got 'api.internal/evil'", h2.getMessage());
        assertRefused(FetchError.Code.NO_ROUTE, "Host 'a.internal:abc': port must be 1-65535", origin("/x", "a.internal:abc"));
        assertRefused(FetchError.Code.NO_ROUTE, "Host 'a.internal:0': port must be 1-65535", origin("/x", "a.internal:0"));
        assertRefused(FetchError.Code.NO_ROUTE, "the URL's host '127.0.0.1:99999999': port must be 1-65535",
                new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, "http://127.0.0.1:99999999/"));
        assertRefused(FetchError.Code.NO_ROUTE, "the URL's host 'my_svc:70000': port must be 1-65535",
                new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, "http://my_svc:70000/"));
        // the HTTP/1.1 decoder reads bytes as ISO-8859-1: UTF-8 "bücher" arrives as "bÃ¼cher"
        assertRefused(FetchError.Code.NO_ROUTE, "Host must be ASCII (an international name in its xn-- form), got 'b\\xc3\\xbccher.internal'",
                origin("/x", "b\u00c3\u00bccher.internal"));
        assertRefused(FetchError.Code.NO_ROUTE, "the URL's host must be ASCII (an international name in its xn-- form), got 'b\\xc3\\xbccher.internal'",
                new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, "http://b\u00c3\u00bccher.internal/"));
        assertRefused(FetchError.Code.NO_ROUTE, "Host must be host[:port] with an IPv6 address in brackets, got '[fd00::zz]'",
                origin("/x", "[fd00::zz]"));
        assertRefused(FetchError.Code.NO_ROUTE, "Host has an IPv6 zone id ('%lo'), which a URL cannot carry: give the address without it",
                origin("/x", "[fd00::1%lo]:8080"));
        assertRefused(FetchError.Code.NO_ROUTE, "the URL's host has an IPv6 zone id ('%25eth0'), which a URL cannot carry: give the address without it",
                new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, "http://[fe80::1%25eth0]/"));
        // fetch() reads 010 as octal (8), the gateway's address parser as decimal (10): such a URL is never dialed
        String ambiguous = "has an IPv4 octet with a leading zero, which is ambiguous (octal to some software, decimal to"
                + " others): write each octet in decimal without leading zeros";
        assertRefused(FetchError.Code.NO_ROUTE, "Host '10.0.0.010' " + ambiguous, origin("/x", "10.0.0.010:8080"));
        assertRefused(FetchError.Code.NO_ROUTE, "the URL's host '010.0.0.1' " + ambiguous,
                new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, "http://010.0.0.1/"));
        assertRefused(FetchError.Code.NO_ROUTE, "Host '::ffff:10.0.00.1' " + ambiguous, origin("/x", "[::ffff:10.0.00.1]"));
        assertEquals(new FetchUrl("http", "10.0.0.100", -1, "/x"), FetchUrl.parse(origin("/x", "10.0.0.100")));
        assertEquals(new FetchUrl("http", "fd00::0010", -1, "/x"), FetchUrl.parse(origin("/x", "[fd00::0010]")));
        assertEquals(new FetchUrl("http", "a.01.internal", -1, "/x"), FetchUrl.parse(origin("/x", "a.01.internal")));
        assertRefused(FetchError.Code.NO_ROUTE, "Host 'a..b' is neither a valid host name nor an IPv4 address", origin("/x", "a..b"));
        assertRefused(FetchError.Code.NO_ROUTE, "Host must be host[:port] (a name, an IPv4 address or an [IPv6] address), got 'a b'",
                origin("/x", "a b"));

        assertEquals(new FetchUrl("http", "a.internal", -1, "/x"), FetchUrl.parse(origin("/x", "a.internal")));
        assertEquals(new FetchUrl("http", "a.internal", 8080, "/x"), FetchUrl.parse(origin("/x", "A.internal:8080")));
        assertEquals(new FetchUrl("http", "10.0.0.1", 81, "/x"), FetchUrl.parse(origin("/x", "10.0.0.1:81")));
        assertEquals(new FetchUrl("http", "fd00::1", 81, "/x"), FetchUrl.parse(origin("/x", "[fd00::1]:81")));
        assertEquals(new FetchUrl("http", "fd00::1", -1, "/x"), FetchUrl.parse(origin("/x", "[fd00::1]")));
        assertEquals(new FetchUrl("http", "web.internal.", -1, "/x"), FetchUrl.parse(origin("/x", "web.internal.")));
        assertEquals(new FetchUrl("http", "a.internal", -1, "/"), FetchUrl.parse(
                new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, "http://a.internal#@b.internal")));
        assertEquals(new FetchUrl("http", "a.internal", -1, "/?q=1"), FetchUrl.parse(
                new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, "http://a.internal?q=1")));
    }

    /** On h2c the scheme is the request's :scheme unless cf-vpc-scheme says otherwise; a refusal names what was sent. */
    @Test
    void h2cSchemeRefusalsNameTheSchemePseudoHeaderAndStarIsNoUrl() throws Exception {
        HttpRequest ftp = origin("/x", "api.internal");
        ftp.headers().set("x-http2-scheme", "ftp");
        FetchException e = assertThrows(FetchException.class, () -> FetchUrl.parse(ftp, true));
        assertEquals(FetchError.Code.SCHEME_NOT_ALLOWED, e.error().code());
        assertEquals(":scheme must be http or https, got 'ftp'", e.getMessage());
        HttpRequest https = origin("/x", "api.internal");
        https.headers().set("x-http2-scheme", "https");
        assertEquals(new FetchUrl("https", "api.internal", -1, "/x"), FetchUrl.parse(https, true));
        https.headers().set("cf-vpc-scheme", "http");
        assertEquals(new FetchUrl("http", "api.internal", -1, "/x"), FetchUrl.parse(https, true), "cf-vpc-scheme wins");
        HttpRequest h1 = origin("/x", "api.internal");
        h1.headers().set("x-http2-scheme", "https");
        assertEquals(new FetchUrl("http", "api.internal", -1, "/x"), FetchUrl.parse(h1, false), "only h2c has a :scheme");

        assertRefused(FetchError.Code.NO_ROUTE,
                "the request target '*' asks about the gateway itself (as OPTIONS * does); it is not a URL that can be fetched",
                origin("*", "api.internal"));
    }

    private static HttpRequest origin(String target, String host) {
        HttpRequest r = new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, target);
        r.headers().set("Host", host);
        return r;
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

        assertRefused(FetchError.Code.NO_ROUTE, "the URL has no host: http:///x",
                new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, "http:///x"));
        assertRefused(FetchError.Code.NO_ROUTE, "origin-form requests need a Host header (or send an absolute URL)",
                new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, "/x"));
        HttpRequest hostCreds = new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, "/x");
        hostCreds.headers().set("Host", "u@web.internal");
        assertRefused(FetchError.Code.NO_ROUTE, "credentials in the URL are not allowed", hostCreds);
        // CONNECT says it is no fetch; authority-form with another method and a broken http URL are not other schemes
        assertRefused(FetchError.Code.NO_ROUTE, H2cRequestCheck.CONNECT_REFUSED,
                new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.CONNECT, "web.internal:443"));
        assertRefused(FetchError.Code.NO_ROUTE, "request target must be an absolute http(s) URL or a path, got 'web.internal:443'",
                new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, "web.internal:443"));
        assertRefused(FetchError.Code.NO_ROUTE, "request target must be an absolute http(s) URL or a path, got 'http:/x'",
                new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, "http:/x"));
    }

    private static void assertRefused(FetchError.Code code, String message, HttpRequest req) {
        FetchException e = assertThrows(FetchException.class, () -> FetchUrl.parse(req), req.uri());
        assertEquals(code, e.error().code(), req.uri());
        assertEquals(message, e.getMessage(), req.uri());
    }

    /** Mostly a plausible label (a letter or '_' first), sometimes not: '-' or '.' anywhere after the first. */
    private static String label(Random rnd) {
        return pick(rnd, "aZ_", 1) + pick(rnd, LABEL_CHARS, rnd.nextInt(6));
    }

    private static String pick(Random rnd, String chars, int n) {
        StringBuilder b = new StringBuilder(n);
        for (int i = 0; i < n; i++) {
            b.append(chars.charAt(rnd.nextInt(chars.length())));
        }
        return b.toString();
    }
}
