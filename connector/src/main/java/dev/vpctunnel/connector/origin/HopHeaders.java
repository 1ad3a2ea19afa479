package dev.vpctunnel.connector.origin;

import dev.vpctunnel.core.link.LinkHeaders;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http2.HttpConversionUtil;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** Header rewriting between the link (HTTP/2) and the origin (HTTP/1.1): link headers and hop-by-hop headers go. */
final class HopHeaders {
    private static final List<CharSequence> HOP_BY_HOP = List.of(HttpHeaderNames.CONNECTION, HttpHeaderNames.KEEP_ALIVE,
            HttpHeaderNames.PROXY_CONNECTION, HttpHeaderNames.TRANSFER_ENCODING, HttpHeaderNames.UPGRADE, HttpHeaderNames.TE,
            HttpHeaderNames.TRAILER, HttpHeaderNames.EXPECT, "http2-settings", "proxy-authenticate", "proxy-authorization");

    private HopHeaders() {
    }

    /** The HTTP/1.1 request head for the origin. {@code bodyKnownEmpty}: the stream already ended with no body. */
    static HttpRequest toOrigin(HttpRequest in, String serverName, boolean bodyKnownEmpty, long knownLength) {
        HttpRequest out = new DefaultHttpRequest(HttpVersion.HTTP_1_1, in.method(), in.uri());
        HttpHeaders h = out.headers();
        h.set(in.headers());
        boolean hadLength = h.contains(HttpHeaderNames.CONTENT_LENGTH);
        strip(h);
        for (HttpConversionUtil.ExtensionHeaderNames n : HttpConversionUtil.ExtensionHeaderNames.values()) {
            h.remove(n.text());
        }
        h.set(HttpHeaderNames.HOST, hostHeader(in.headers().get(HttpHeaderNames.HOST), serverName));
        if (knownLength >= 0) {
            h.set(HttpHeaderNames.CONTENT_LENGTH, knownLength);
            if (knownLength == 0 && !hadLength && bodyKnownEmpty && !expectsBody(in)) {
                h.remove(HttpHeaderNames.CONTENT_LENGTH);
            }
        } else if (!hadLength) {
            HttpUtil.setTransferEncodingChunked(out, true);
        }
        return out;
    }

    /** The response head for the link. */
    static HttpResponse toLink(HttpResponse in) {
        HttpResponse out = new DefaultHttpResponse(HttpVersion.HTTP_1_1, in.status());
        out.headers().set(in.headers());
        strip(out.headers());
        for (HttpConversionUtil.ExtensionHeaderNames n : HttpConversionUtil.ExtensionHeaderNames.values()) {
            out.headers().remove(n.text());
        }
        return out;
    }

    /** Removes link-internal headers, hop-by-hop headers and every header named in Connection. */
    static void strip(HttpHeaders h) {
        for (String c : h.getAll(HttpHeaderNames.CONNECTION)) {
            for (String name : c.split(",")) {
                String n = name.trim();
                if (!n.isEmpty()) {
                    h.remove(n);
                }
            }
        }
        for (CharSequence n : HOP_BY_HOP) {
            h.remove(n);
        }
        stripLink(h);
    }

    static void stripLink(HttpHeaders h) {
        List<String> link = new ArrayList<>();
        for (var e : h) {
            if (e.getKey().toLowerCase(Locale.ROOT).startsWith(LinkHeaders.PREFIX)) {
                link.add(e.getKey());
            }
        }
        link.forEach(h::remove);
    }

    private static boolean expectsBody(HttpRequest r) {
        String m = r.method().name();
        return m.equals("POST") || m.equals("PUT") || m.equals("PATCH");
    }

    private static String hostHeader(String given, String serverName) {
        if (given != null && !given.isBlank()) {
            return given;
        }
        return serverName.indexOf(':') >= 0 ? "[" + serverName + "]" : serverName;
    }
}
