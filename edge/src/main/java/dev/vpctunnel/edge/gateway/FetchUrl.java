package dev.vpctunnel.edge.gateway;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http2.HttpConversionUtil;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.Locale;

/**
 * The URL a worker passed to fetch(): from an absolute-form target (its authority wins over any Host), or from
 * origin-form with Host and cf-vpc-scheme (default http). {@code host} has no brackets; {@code port} is -1 when the
 * URL gave none. A URL that cannot be fetched is refused with the contract's code: scheme_not_allowed for a scheme
 * other than http and https, no_route for anything else the gateway cannot route (not a URL, no host, credentials).
 */
public record FetchUrl(String scheme, String host, int port, String pathAndQuery) {
    static final String SCHEME_HEADER = "cf-vpc-scheme";

    public int portOrDefault() {
        return port > 0 ? port : "https".equals(scheme) ? 443 : 80;
    }

    /** The Host header for a destination picked by this URL (port kept when not the scheme's default). */
    public String authority() {
        String h = host.indexOf(':') >= 0 ? "[" + host + "]" : host;
        return port > 0 && port != ("https".equals(scheme) ? 443 : 80) ? h + ":" + port : h;
    }

    static FetchUrl parse(HttpRequest req) throws FetchException {
        return parse(req, false);
    }

    /** {@code h2}: the request came over h2c, where Host is the request's :authority. */
    static FetchUrl parse(HttpRequest req, boolean h2) throws FetchException {
        String target = req.uri();
        String lower = target.length() > 8 ? target.substring(0, 8).toLowerCase(Locale.ROOT) : target.toLowerCase(Locale.ROOT);
        if (lower.startsWith("http://") || lower.startsWith("https://")) {
            int start = lower.startsWith("http://") ? 7 : 8;
            int slash = target.indexOf('/', start);
            int end = UrlAuthority.end(target, start);
            if (end > start) {
                UrlAuthority.check(target.substring(start, end), "the URL's host");
            }
            FetchUrl fast = slash < 0 ? fast(lower.substring(0, start - 3), target.substring(start), "/")
                    : fast(lower.substring(0, start - 3), target.substring(start, slash), target.substring(slash));
            return fast != null ? fast : fromAbsolute(target);
        }
        if (io.netty.handler.codec.http.HttpMethod.CONNECT.equals(req.method())) {
            throw noRoute(H2cRequestCheck.CONNECT_REFUSED);
        }
        if ("*".equals(target)) {
            throw noRoute("the request target '*' asks about the gateway itself (as OPTIONS * does); it is not a URL that can be fetched");
        }
        if (!target.startsWith("/")) {
            String other = otherScheme(target);
            if (other != null) {
                throw new FetchException(FetchError.Code.SCHEME_NOT_ALLOWED, "only http and https URLs can be fetched, got " + clip(other));
            }
            throw noRoute("request target must be an absolute http(s) URL or a path, got '" + clip(target) + "'");
        }
        // cf-vpc-scheme if sent; else on h2c the request's own :scheme (Netty's x-http2-scheme); else http
        String scheme = req.headers().get(SCHEME_HEADER);
        String schemeFrom = SCHEME_HEADER;
        if (scheme == null && h2) {
            scheme = req.headers().get(HttpConversionUtil.ExtensionHeaderNames.SCHEME.text());
            schemeFrom = ":scheme";
        }
        scheme = scheme == null ? "http" : scheme.toLowerCase(Locale.ROOT);
        if (!scheme.equals("http") && !scheme.equals("https")) {
            throw new FetchException(FetchError.Code.SCHEME_NOT_ALLOWED, schemeFrom + " must be http or https, got '" + printable(scheme) + "'");
        }
        String hostHeader = req.headers().get(HttpHeaderNames.HOST);
        if (hostHeader == null || hostHeader.isBlank()) {
            throw noRoute("origin-form requests need a Host header (or send an absolute URL)");
        }
        String authority = hostHeader.trim();
        UrlAuthority.check(authority, h2 ? ":authority" : "Host");
        FetchUrl fast = fast(scheme, authority, target);
        return fast != null ? fast : fromAbsolute(scheme + "://" + authority + target);
    }

    /** s for a message: control characters and non-ASCII as escapes (bytes as the decoder read them), clipped. */
    static String printable(String s) {
        int n = Math.min(s.length(), 200);
        StringBuilder b = null;
        for (int i = 0; i < n; i++) {
            char ch = s.charAt(i);
            boolean plain = ch >= 0x20 && ch < 0x7f;
            if (!plain && b == null) {
                b = new StringBuilder(n + 16).append(s, 0, i);
            }
            if (b != null) {
                if (plain) {
                    b.append(ch);
                } else if (ch <= 0xff) {
                    b.append(String.format("\\x%02x", (int) ch));
                } else {
                    b.append(String.format("\\u%04x", (int) ch));
                }
            }
        }
        String out = b == null ? s.substring(0, n) : b.toString();
        return n < s.length() ? out + "…" : out;
    }

    /**
     * The common case without java.net.URI: a host name (see {@link #dnsName}) with an optional port, and a path of
     * plain URL characters (%-escapes well formed). Gives exactly what {@link #fromAbsolute} gives for such input
     * (FetchUrlTest compares both on generated input), else null and the caller takes the general path.
     */
    static FetchUrl fast(String scheme, String authority, String target) {
        if (target.isEmpty() || target.charAt(0) != '/' || !plainPath(target)) {
            return null;
        }
        int colon = authority.indexOf(':');
        String host = colon < 0 ? authority : authority.substring(0, colon);
        int port = -1;
        if (colon >= 0) {
            String p = authority.substring(colon + 1);
            if (p.isEmpty() || p.length() > 5) {
                return null;
            }
            for (int i = 0; i < p.length(); i++) {
                if (p.charAt(i) < '0' || p.charAt(i) > '9') {
                    return null;
                }
            }
            port = Integer.parseInt(p);
        }
        if (!dnsName(host)) {
            return null;
        }
        return new FetchUrl(scheme, host.toLowerCase(Locale.ROOT), port, target);
    }

    /**
     * A host name as service and route hostnames are (HostnameRoutes): labels of 1-63 letters, digits, '-' and '_', not
     * starting or ending with '-', 253 characters at most; the last label starts with a letter, so nothing numeric (an
     * IPv4 address, or 127.1 that a resolver would read as one) is taken for a name.
     */
    static boolean dnsName(String h) {
        if (h.isEmpty() || h.length() > 253) {
            return false;
        }
        int labelStart = 0;
        for (int i = 0; i <= h.length(); i++) {
            if (i == h.length() || h.charAt(i) == '.') {
                int len = i - labelStart;
                if (len < 1 || len > 63 || h.charAt(labelStart) == '-' || h.charAt(i - 1) == '-') {
                    return false;
                }
                if (i == h.length() && !letter(h.charAt(labelStart))) {
                    return false;
                }
                labelStart = i + 1;
                continue;
            }
            char c = h.charAt(i);
            if (!letter(c) && !(c >= '0' && c <= '9') && c != '-' && c != '_') {
                return false;
            }
        }
        return true;
    }

    static boolean letter(char c) {
        return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z';
    }

    /** Unreserved, sub-delims, ':', '@', '/', '?' and well-formed %-escapes only. */
    private static boolean plainPath(String t) {
        for (int i = 0; i < t.length(); i++) {
            char c = t.charAt(i);
            if (letter(c) || c >= '0' && c <= '9' || "-._~!$&'()*+,;=:@/?".indexOf(c) >= 0) {
                continue;
            }
            if (c == '%' && i + 2 < t.length() && hex(t.charAt(i + 1)) && hex(t.charAt(i + 2))) {
                i += 2;
                continue;
            }
            return false;
        }
        return true;
    }

    private static boolean hex(char c) {
        return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F';
    }

    /**
     * The scheme of an absolute URL that is neither http nor https ("ftp://…", "ws:…"), else null: http(s) URLs that
     * did not start with "http(s)://", and authority-form ("host:port", CONNECT's target), are no other scheme.
     */
    private static String otherScheme(String target) {
        int colon = target.indexOf(':');
        if (colon < 1 || !letter(target.charAt(0))) {
            return null;
        }
        for (int i = 1; i < colon; i++) {
            char c = target.charAt(i);
            if (!letter(c) && !(c >= '0' && c <= '9') && c != '+' && c != '-' && c != '.') {
                return null;
            }
        }
        String rest = target.substring(colon + 1);
        if (!rest.isEmpty() && rest.length() <= 5 && rest.chars().allMatch(c -> c >= '0' && c <= '9')) {
            return null;
        }
        String scheme = target.substring(0, colon).toLowerCase(Locale.ROOT);
        return scheme.equals("http") || scheme.equals("https") ? null : scheme;
    }

    /**
     * Any absolute http(s) URL. java.net.URI reads only its scheme and authority: its path and query are taken as
     * they came (a Worker's fetch() sends '{', '|', '^', '`' and lone '%' there, which URI refuses), see
     * {@link #pathAndQuery}.
     */
    static FetchUrl fromAbsolute(String url) throws FetchException {
        int sep = url.indexOf("://");
        int end = sep < 0 ? url.length() : UrlAuthority.end(url, sep + 3);
        if (sep >= 0 && end == sep + 3) {
            throw noRoute("the URL has no host: " + clip(url));
        }
        String path = pathAndQuery(url.substring(end));
        URI u;
        try {
            u = new URI(url.substring(0, end));
        } catch (URISyntaxException e) {
            throw noRoute("not a valid URL: " + clip(url));
        }
        String scheme = u.getScheme() == null ? "" : u.getScheme().toLowerCase(Locale.ROOT);
        if (!scheme.equals("http") && !scheme.equals("https")) {
            throw new FetchException(FetchError.Code.SCHEME_NOT_ALLOWED, "only http and https URLs can be fetched, got " + clip(scheme));
        }
        String host = u.getHost();
        int port = u.getPort();
        if (host == null && u.getRawAuthority() != null) {
            // URI has no host for a name with '_' (my_svc.internal): it reads it as a registry-based authority
            String authority = u.getRawAuthority();
            if (authority.indexOf('@') >= 0) {
                throw noRoute("credentials in the URL are not allowed");
            }
            int colon = authority.indexOf(':');
            String name = colon < 0 ? authority : authority.substring(0, colon);
            port = colon < 0 ? -1 : registryPort(authority.substring(colon + 1));
            if (port >= -1 && dnsName(name.endsWith(".") ? name.substring(0, name.length() - 1) : name)) {
                host = name; // a trailing dot kept, as URI keeps it in web.internal.
            }
        }
        if (host == null || host.isEmpty()) {
            throw noRoute("the URL has no host: " + clip(url));
        }
        if (u.getRawUserInfo() != null) {
            throw noRoute("credentials in the URL are not allowed");
        }
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        return new FetchUrl(scheme, host.toLowerCase(Locale.ROOT), port, path);
    }

    /**
     * The request target for the rest of a URL after its authority: the fragment dropped, "/" for an empty path;
     * what an HTTP/1.1 request line cannot carry %-escaped as fetch() escapes it (a space; a non-ASCII character, as
     * the bytes the HTTP decoder read it from, or UTF-8 beyond those); control characters refused.
     */
    private static String pathAndQuery(String rest) throws FetchException {
        int hash = rest.indexOf('#');
        String t = hash >= 0 ? rest.substring(0, hash) : rest;
        if (t.isEmpty() || t.charAt(0) != '/') {
            t = "/" + t;
        }
        StringBuilder b = null;
        for (int i = 0; i < t.length(); i++) {
            char c = t.charAt(i);
            if (c < 0x20 || c == 0x7f) {
                throw noRoute("the URL has a control character: '" + printable(t) + "'");
            }
            boolean escape = c == ' ' || c >= 0x80;
            if (escape && b == null) {
                b = new StringBuilder(t.length() + 16).append(t, 0, i);
            }
            if (!escape) {
                if (b != null) {
                    b.append(c);
                }
            } else if (c <= 0xff) {
                escapeByte(b, c);
            } else {
                int cp = t.codePointAt(i);
                for (byte x : new String(Character.toChars(cp)).getBytes(java.nio.charset.StandardCharsets.UTF_8)) {
                    escapeByte(b, x & 0xff);
                }
                i += Character.charCount(cp) - 1;
            }
        }
        return b == null ? t : b.toString();
    }

    private static void escapeByte(StringBuilder b, int v) {
        b.append('%').append(Character.toUpperCase(Character.forDigit(v >> 4, 16)))
                .append(Character.toUpperCase(Character.forDigit(v & 15, 16)));
    }

    /** The port of a registry-based authority as URI reads a server's: digits (none: -1); -2 when not a port. */
    private static int registryPort(String p) {
        if (p.isEmpty()) {
            return -1;
        }
        for (int i = 0; i < p.length(); i++) {
            if (p.charAt(i) < '0' || p.charAt(i) > '9') {
                return -2;
            }
        }
        try {
            return Integer.parseInt(p);
        } catch (NumberFormatException e) {
            return -2;
        }
    }

    static FetchException noRoute(String message) {
        return new FetchException(FetchError.Code.NO_ROUTE, message);
    }

    private static String clip(String s) {
        return s.length() > 200 ? s.substring(0, 200) + "…" : s;
    }
}
