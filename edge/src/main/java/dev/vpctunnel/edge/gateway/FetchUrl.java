package dev.vpctunnel.edge.gateway;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpRequest;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.Locale;

/**
 * The URL a worker passed to fetch(): from an absolute-form target (its authority wins over any Host), or from
 * origin-form with Host and cf-vpc-scheme (default http). {@code host} has no brackets; {@code port} is -1 when the
 * URL gave none.
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

    public static FetchUrl parse(HttpRequest req) {
        String target = req.uri();
        String lower = target.length() > 8 ? target.substring(0, 8).toLowerCase(Locale.ROOT) : target.toLowerCase(Locale.ROOT);
        if (lower.startsWith("http://") || lower.startsWith("https://")) {
            return fromAbsolute(target);
        }
        if (!target.startsWith("/") && !"*".equals(target)) {
            throw new IllegalArgumentException("request target must be an absolute http(s) URL or a path, got '" + clip(target) + "'");
        }
        String scheme = req.headers().get(SCHEME_HEADER, "http").toLowerCase(Locale.ROOT);
        if (!scheme.equals("http") && !scheme.equals("https")) {
            throw new IllegalArgumentException("cf-vpc-scheme must be http or https, got '" + clip(scheme) + "'");
        }
        String hostHeader = req.headers().get(HttpHeaderNames.HOST);
        if (hostHeader == null || hostHeader.isBlank()) {
            throw new IllegalArgumentException("origin-form requests need a Host header (or send an absolute URL)");
        }
        return fromAbsolute(scheme + "://" + hostHeader.trim() + target);
    }

    private static FetchUrl fromAbsolute(String url) {
        URI u;
        try {
            u = new URI(url);
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException("not a valid URL: " + clip(url));
        }
        String scheme = u.getScheme().toLowerCase(Locale.ROOT);
        if (!scheme.equals("http") && !scheme.equals("https")) {
            throw new IllegalArgumentException("only http and https URLs can be fetched, got " + clip(scheme));
        }
        String host = u.getHost();
        if (host == null || host.isEmpty()) {
            throw new IllegalArgumentException("the URL has no host: " + clip(url));
        }
        if (u.getRawUserInfo() != null) {
            throw new IllegalArgumentException("credentials in the URL are not allowed");
        }
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        String path = u.getRawPath() == null || u.getRawPath().isEmpty() ? "/" : u.getRawPath();
        if (u.getRawQuery() != null) {
            path = path + "?" + u.getRawQuery();
        }
        return new FetchUrl(scheme, host.toLowerCase(Locale.ROOT), u.getPort(), path);
    }

    private static String clip(String s) {
        return s.length() > 200 ? s.substring(0, 200) + "…" : s;
    }
}
