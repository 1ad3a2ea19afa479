package dev.vpctunnel.connector.origin;

import dev.vpctunnel.core.link.LinkHeaders;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.util.AsciiString;

import java.util.Iterator;
import java.util.Map;
import java.util.Set;

/**
 * Header rewriting between the link (HTTP/2 frames) and the origin (HTTP/1.1), in one copy each way: link headers and
 * hop-by-hop headers go, the rest passes as it is.
 */
final class HopHeaders {
    private static final Set<AsciiString> HOP_BY_HOP = Set.of(HttpHeaderNames.CONNECTION, HttpHeaderNames.KEEP_ALIVE,
            HttpHeaderNames.PROXY_CONNECTION, HttpHeaderNames.TRANSFER_ENCODING, HttpHeaderNames.UPGRADE, HttpHeaderNames.TE,
            HttpHeaderNames.TRAILER, HttpHeaderNames.EXPECT, AsciiString.cached("http2-settings"),
            HttpHeaderNames.PROXY_AUTHENTICATE, HttpHeaderNames.PROXY_AUTHORIZATION);

    private HopHeaders() {
    }

    /**
     * The HTTP/1.1 request head for the origin from the stream's HEADERS (names arrive lower-case and validated by the
     * HTTP/2 codec; values are validated again here). Host is the request's Host (sent as :authority), else the server
     * name. {@code knownLength}: the whole body's size when it already arrived (0: the stream already ended with no body),
     * else -1 (then chunked unless the edge gave a Content-Length).
     */
    static HttpRequest toOrigin(Http2Headers in, String serverName, long knownLength) {
        HttpMethod method = HttpMethod.valueOf(in.method().toString());
        HttpHeaders h = new DefaultHttpHeaders();
        CharSequence host = in.authority();
        boolean hadLength = false;
        StringBuilder cookies = null;
        for (Map.Entry<CharSequence, CharSequence> e : in) {
            AsciiString name = AsciiString.of(e.getKey());
            if (name.isEmpty() || name.byteAt(0) == ':' || dropped(name)) {
                continue;
            }
            if (HttpHeaderNames.HOST.contentEqualsIgnoreCase(name)) {
                host = e.getValue();
                continue;
            }
            if (HttpHeaderNames.COOKIE.contentEqualsIgnoreCase(name)) {
                // HTTP/2 may carry the cookies in several fields; HTTP/1.1 gets them in one (RFC 9113 8.2.3)
                cookies = cookies == null ? new StringBuilder(e.getValue()) : cookies.append("; ").append(e.getValue());
                continue;
            }
            hadLength |= HttpHeaderNames.CONTENT_LENGTH.contentEqualsIgnoreCase(name);
            h.add(name, e.getValue());
        }
        if (cookies != null) {
            h.add(HttpHeaderNames.COOKIE, cookies.toString());
        }
        h.set(HttpHeaderNames.HOST, hostHeader(host, serverName));
        if (knownLength >= 0) {
            h.set(HttpHeaderNames.CONTENT_LENGTH, knownLength);
            if (knownLength == 0 && !hadLength && !expectsBody(method)) {
                h.remove(HttpHeaderNames.CONTENT_LENGTH);
            }
        } else if (!hadLength) {
            h.set(HttpHeaderNames.TRANSFER_ENCODING, HttpHeaderValues.CHUNKED);
        }
        return new DefaultHttpRequest(HttpVersion.HTTP_1_1, method, in.path().toString(), h);
    }

    /** The response head for the link: status, and the origin's headers without hop-by-hop and link headers. */
    static Http2Headers toLink(HttpResponse in) {
        // names come from the HTTP/1.1 decoder (tokens), lower-cased in copy; the edge's HTTP/2 decoder validates them
        // again, so they are not validated twice here
        Http2Headers out = new DefaultHttp2Headers(false);
        HttpResponseStatus status = in.status();
        out.status(status.codeAsText());
        copy(in.headers(), out);
        // a phrase other than the standard one, unless it has a control byte (the edge's HTTP/2 decoder would reset the
        // stream for it; the edge then uses the standard phrase)
        if (!status.reasonPhrase().equals(HttpResponseStatus.valueOf(status.code()).reasonPhrase())
                && LinkHeaders.reasonPhrase(status.reasonPhrase())) {
            out.set(LinkHeaders.REASON, status.reasonPhrase());
        }
        return out;
    }

    /** Trailers for the link, filtered like the head. */
    static Http2Headers trailersToLink(HttpHeaders trailers) {
        Http2Headers out = new DefaultHttp2Headers();
        copy(trailers, out);
        return out;
    }

    /** Trailers from the link for the origin, filtered like the head. */
    static void trailersToOrigin(Http2Headers in, HttpHeaders out) {
        for (Map.Entry<CharSequence, CharSequence> e : in) {
            AsciiString name = AsciiString.of(e.getKey());
            if (!name.isEmpty() && name.byteAt(0) != ':' && !dropped(name)) {
                out.add(name, e.getValue());
            }
        }
    }

    private static void copy(HttpHeaders in, Http2Headers out) {
        Set<AsciiString> listed = LinkHeaders.connectionListed(in.getAll(HttpHeaderNames.CONNECTION));
        for (Iterator<Map.Entry<CharSequence, CharSequence>> it = in.iteratorCharSequence(); it.hasNext(); ) {
            Map.Entry<CharSequence, CharSequence> e = it.next();
            AsciiString name = AsciiString.of(e.getKey()).toLowerCase();
            if (dropped(name) || listed.contains(name)) {
                continue;
            }
            out.add(name, e.getValue());
        }
    }

    /** Hop-by-hop, link-internal (cf-link-*) and HTTP/2-conversion (x-http2-*) names; {@code name} is lower case. */
    private static boolean dropped(AsciiString name) {
        return HOP_BY_HOP.contains(name) || LinkHeaders.internal(name);
    }

    private static boolean expectsBody(HttpMethod m) {
        return HttpMethod.POST.equals(m) || HttpMethod.PUT.equals(m) || HttpMethod.PATCH.equals(m);
    }

    private static String hostHeader(CharSequence given, String serverName) {
        if (given != null && !given.toString().isBlank()) {
            return given.toString();
        }
        return serverName.indexOf(':') >= 0 ? "[" + serverName + "]" : serverName;
    }
}
