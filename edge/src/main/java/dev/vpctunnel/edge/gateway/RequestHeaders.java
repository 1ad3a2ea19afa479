package dev.vpctunnel.edge.gateway;

import dev.vpctunnel.core.link.LinkHeaders;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.EmptyHttpHeaders;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.util.AsciiString;

import java.util.Base64;
import java.util.Iterator;
import java.util.Map;
import java.util.Set;

/** Header rules of the gateway: what a worker may not send on, and what the origin's response keeps. */
final class RequestHeaders {
    static final String BINDING = "cf-vpc-binding";
    private static final Set<AsciiString> HOP_BY_HOP = Set.of(HttpHeaderNames.CONNECTION, HttpHeaderNames.KEEP_ALIVE,
            HttpHeaderNames.PROXY_CONNECTION, HttpHeaderNames.TE, HttpHeaderNames.TRAILER, HttpHeaderNames.UPGRADE,
            HttpHeaderNames.TRANSFER_ENCODING, HttpHeaderNames.PROXY_AUTHORIZATION, HttpHeaderNames.PROXY_AUTHENTICATE,
            HttpHeaderNames.HOST, AsciiString.cached("http2-settings"));
    private static final AsciiString VPC_PREFIX = AsciiString.cached("cf-vpc-");
    private static final AsciiString HTTPS = AsciiString.cached("https");

    private RequestHeaders() {
    }

    /**
     * What makes the head unusable, or null: larger than the tunnel link's header list limit even before the link's own
     * headers are added (the text then starts with {@link #TOO_LARGE}: a 431), or ambiguous: more than one Host (RFC 9112 3.2), cf-vpc-binding, cf-vpc-scheme or
     * Proxy-Authorization line. Which one counts is never guessed (first-one-wins would let whoever adds the second decide). On h2c the
     * request has one Host at most by now (:authority and host fields that say the same are merged, others refused by
     * {@link H2cRequestCheck}). One pass, no allocation when nothing is wrong.
     */
    static String unusable(HttpRequest req) {
        long size = req.method().asciiName().length() + req.uri().length() + 2 * LinkHeaders.HEADER_ENTRY_OVERHEAD;
        int hosts = 0;
        int bindings = 0;
        int schemes = 0;
        int auths = 0;
        for (Iterator<Map.Entry<CharSequence, CharSequence>> it = req.headers().iteratorCharSequence(); it.hasNext(); ) {
            Map.Entry<CharSequence, CharSequence> e = it.next();
            CharSequence name = e.getKey();
            size += name.length() + e.getValue().length() + LinkHeaders.HEADER_ENTRY_OVERHEAD;
            switch (name.length()) {
                case 4 -> {
                    if (AsciiString.contentEqualsIgnoreCase(name, HttpHeaderNames.HOST)) {
                        hosts++;
                    }
                }
                case 13 -> {
                    if (AsciiString.contentEqualsIgnoreCase(name, FetchUrl.SCHEME_HEADER)) {
                        schemes++;
                    }
                }
                case 14 -> {
                    if (AsciiString.contentEqualsIgnoreCase(name, BINDING)) {
                        bindings++;
                    }
                }
                case 19 -> {
                    if (AsciiString.contentEqualsIgnoreCase(name, HttpHeaderNames.PROXY_AUTHORIZATION)) {
                        auths++;
                    }
                }
                default -> {
                }
            }
        }
        if (size > LinkHeaders.MAX_HEADER_LIST) {
            return TOO_LARGE + tooLarge(size);
        }
        if (hosts > 1) {
            return "more than one Host header (" + hosts + ")";
        }
        if (bindings > 1) {
            return "more than one cf-vpc-binding header (" + bindings + "): a fetch goes through one binding";
        }
        if (schemes > 1) {
            return "more than one cf-vpc-scheme header (" + schemes + "): a fetch has one scheme";
        }
        if (auths > 1) {
            return "more than one Proxy-Authorization header (" + auths + "): a fetch carries one worker token";
        }
        return null;
    }

    /** How {@link #unusable} marks a head too large for the link rather than ambiguous (a 431, not a 400). */
    static final String TOO_LARGE = "request header fields too large: ";

    /** The text of a 431 for a head of {@code size} as HTTP/2 counts it. */
    static String tooLarge(long size) {
        return "the request's headers come to " + size + " bytes as HTTP/2 counts them (name + value + 32 per field); at most "
                + LinkHeaders.MAX_HEADER_LIST + " can go over the tunnel link";
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
     * The request the connector gets, as the stream's HEADERS: method and path of the URL, the worker's headers minus
     * hop-by-hop ones, Proxy-Authorization, every cf-vpc-* and cf-link-* header (names lower-cased, one copy); Host
     * as routing says (as :authority); the connect request and the fetch id attached.
     */
    static Http2Headers forTunnel(HttpRequest in, String path, String host, byte[] connectRequest, String requestId) {
        // names come from the HTTP/1.1 decoder (tokens, so never pseudo-headers), lower-cased below; the connector's
        // HTTP/2 decoder validates them again, so they are not validated twice here
        Http2Headers h = new DefaultHttp2Headers(false);
        h.method(in.method().asciiName()).path(path).scheme(HTTPS).authority(host);
        Set<AsciiString> listed = LinkHeaders.connectionListed(in.headers().getAll(HttpHeaderNames.CONNECTION));
        boolean chunked = !HttpUtil.isContentLengthSet(in) && HttpUtil.isTransferEncodingChunked(in);
        for (Iterator<Map.Entry<CharSequence, CharSequence>> it = in.headers().iteratorCharSequence(); it.hasNext(); ) {
            Map.Entry<CharSequence, CharSequence> e = it.next();
            AsciiString name = AsciiString.of(e.getKey()).toLowerCase();
            if (HOP_BY_HOP.contains(name) || name.startsWith(VPC_PREFIX) || LinkHeaders.internal(name)
                    || name.isEmpty() || name.byteAt(0) == ':'
                    || (chunked && HttpHeaderNames.CONTENT_LENGTH.equals(name)) || listed.contains(name)) {
                continue;
            }
            h.add(name, e.getValue());
        }
        h.set(LinkHeaders.CONNECT, Base64.getEncoder().encodeToString(connectRequest));
        h.set(LinkHeaders.REQUEST_ID, requestId);
        return h;
    }

    /** The origin's response head from the stream's HEADERS (pseudo-headers dropped); a full one when it ended. */
    static HttpResponse fromTunnel(Http2Headers in, boolean endStream) {
        CharSequence status = in.status();
        HttpResponseStatus s = HttpResponseStatus.parseLine(status == null ? "" : status);
        CharSequence reason = in.getAndRemove(LinkHeaders.REASON);
        if (reason != null && LinkHeaders.reasonPhrase(reason)) {
            s = new HttpResponseStatus(s.code(), reason.toString()); // the origin's own, when not the standard one
        } else if (s.reasonPhrase().endsWith(")")) {
            // Netty's made-up phrase for a code it does not know ("Success (299)"): none came from the origin (or
            // it came over HTTP/2, which has none), so none is sent
            s = new HttpResponseStatus(s.code(), "");
        }
        HttpHeaders h = new DefaultHttpHeaders();
        copyRegular(in, h);
        return endStream
                ? new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, s, Unpooled.EMPTY_BUFFER, h, EmptyHttpHeaders.INSTANCE)
                : new DefaultHttpResponse(HttpVersion.HTTP_1_1, s, h);
    }

    /** The response's trailers from the stream's last HEADERS. */
    static LastHttpContent trailersFromTunnel(Http2Headers in) {
        LastHttpContent last = new DefaultLastHttpContent();
        copyRegular(in, last.trailingHeaders());
        last.trailingHeaders().remove(LinkHeaders.ERROR);
        last.trailingHeaders().remove(FetchError.HEADER);
        return last;
    }

    /** The worker's request trailers for the stream. */
    static Http2Headers trailersForTunnel(HttpHeaders in) {
        Http2Headers h = new DefaultHttp2Headers();
        for (Iterator<Map.Entry<CharSequence, CharSequence>> it = in.iteratorCharSequence(); it.hasNext(); ) {
            Map.Entry<CharSequence, CharSequence> e = it.next();
            AsciiString name = AsciiString.of(e.getKey()).toLowerCase();
            if (!HOP_BY_HOP.contains(name) && !name.startsWith(VPC_PREFIX) && !name.startsWith(LinkHeaders.PREFIX)
                    && !name.isEmpty() && name.byteAt(0) != ':') {
                h.add(name, e.getValue());
            }
        }
        return h;
    }

    private static void copyRegular(Http2Headers in, HttpHeaders out) {
        for (Map.Entry<CharSequence, CharSequence> e : in) {
            CharSequence name = e.getKey();
            if (name.length() > 0 && name.charAt(0) != ':') {
                out.add(name, e.getValue());
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
