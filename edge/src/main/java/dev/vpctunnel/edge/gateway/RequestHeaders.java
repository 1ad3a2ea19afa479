package dev.vpctunnel.edge.gateway;

import dev.vpctunnel.core.link.LinkHeaders;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;

import java.util.Base64;
import java.util.Iterator;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/** Header rules of the gateway: what a worker may not send on, and what the origin's response keeps. */
final class RequestHeaders {
    static final String BINDING = "cf-vpc-binding";
    private static final Set<String> HOP_BY_HOP = Set.of("connection", "keep-alive", "proxy-connection", "te", "trailer",
            "upgrade", "transfer-encoding", "proxy-authorization", "proxy-authenticate", "host", "http2-settings");

    private RequestHeaders() {
    }

    /** The bearer token of Proxy-Authorization, or null. */
    static String bearer(HttpRequest req) {
        String v = req.headers().get(HttpHeaderNames.PROXY_AUTHORIZATION);
        if (v == null || v.length() < 8 || !v.regionMatches(true, 0, "Bearer ", 0, 7)) {
            return null;
        }
        String t = v.substring(7).trim();
        return t.isEmpty() ? null : t;
    }

    /**
     * The request the connector gets: method and path of the URL, the worker's headers minus hop-by-hop ones,
     * Proxy-Authorization, every cf-vpc-* and cf-link-* header; Host as routing says; the connect request attached.
     * A {@code bodyless} request is a full one, sent as a single HEADERS frame that ends the stream.
     */
    static HttpRequest forTunnel(HttpRequest in, String path, String host, byte[] connectRequest, String requestId,
                                 boolean bodyless) {
        HttpRequest out = bodyless
                ? new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, in.method(), path, Unpooled.EMPTY_BUFFER)
                : new DefaultHttpRequest(HttpVersion.HTTP_1_1, in.method(), path);
        HttpHeaders h = out.headers();
        for (Iterator<Map.Entry<CharSequence, CharSequence>> it = in.headers().iteratorCharSequence(); it.hasNext(); ) {
            Map.Entry<CharSequence, CharSequence> e = it.next();
            String name = e.getKey().toString().toLowerCase(Locale.ROOT);
            if (HOP_BY_HOP.contains(name) || name.startsWith("cf-vpc-") || name.startsWith(LinkHeaders.PREFIX)
                    || name.startsWith("x-http2-") || name.startsWith(":")) {
                continue;
            }
            h.add(name, e.getValue());
        }
        dropConnectionListed(in.headers(), h);
        h.set(HttpHeaderNames.HOST, host);
        h.set(LinkHeaders.CONNECT, Base64.getEncoder().encodeToString(connectRequest));
        h.set(LinkHeaders.REQUEST_ID, requestId);
        if (!HttpUtil.isContentLengthSet(in) && HttpUtil.isTransferEncodingChunked(in)) {
            h.remove(HttpHeaderNames.CONTENT_LENGTH);
        }
        return out;
    }

    /** Headers named in Connection are hop-by-hop too. */
    private static void dropConnectionListed(HttpHeaders in, HttpHeaders out) {
        for (String c : in.getAll(HttpHeaderNames.CONNECTION)) {
            for (String name : c.split(",")) {
                out.remove(name.trim());
            }
        }
    }

    /**
     * The origin's response as the worker sees it: link-internal headers removed, and cf-vpc-error too, which only
     * the gateway may set (an origin sending it would make the worker's fetch() reject).
     */
    static void cleanResponse(HttpResponse r) {
        r.headers().remove(LinkHeaders.ERROR);
        r.headers().remove(FetchError.HEADER);
        r.headers().remove(HttpHeaderNames.CONNECTION);
        r.headers().remove("x-http2-stream-id");
    }
}
