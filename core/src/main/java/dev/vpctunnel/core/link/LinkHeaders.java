package dev.vpctunnel.core.link;

import io.netty.handler.codec.http2.Http2Headers;
import io.netty.util.AsciiString;

import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** Header names and limits of the tunnel link (see proto/src/main/proto/link.proto). */
public final class LinkHeaders {
    public static final String CONTROL_PATH = "/cf-link/control";
    public static final AsciiString CHALLENGE = AsciiString.cached("cf-link-challenge");
    public static final AsciiString CONNECT = AsciiString.cached("cf-link-connect");
    public static final AsciiString ERROR = AsciiString.cached("cf-link-error");
    /**
     * The fetch's id, apart from cf-link-connect so that the latter is the same for every fetch to one destination
     * and HPACK sends it as a table index after the first time. Never indexed itself (it changes every time).
     */
    public static final AsciiString REQUEST_ID = AsciiString.cached("cf-link-request-id");
    /**
     * The origin's reason phrase, when it is not the standard one for its status (HTTP/2's :status carries only the
     * code): "200 Something", "418 I'm a teapot" reach the worker as the origin wrote them.
     */
    public static final AsciiString REASON = AsciiString.cached("cf-link-reason");
    /** Prefix of every link-internal header; the connector drops origin headers with it. */
    public static final String PREFIX = "cf-link-";

    public static final int MAX_CONTROL_MESSAGE = 16 * 1024;

    /** The longest origin connect or TLS timeout a connect request may carry: the connector caps, the edge refuses. */
    public static final int MAX_ORIGIN_TIMEOUT_MS = 300_000;
    /**
     * Cloudflare Workers' limits on a subrequest: a URL of 16 KB, and 128 KB of request headers and of response headers
     * (counted as HTTP/1.1 sends them): what the gateway takes from a worker and the connector from an origin.
     */
    public static final int MAX_URL = 16 * 1024;
    public static final int MAX_HEAD = 128 * 1024;
    /**
     * The link's SETTINGS_MAX_HEADER_LIST_SIZE: room for {@link #MAX_HEAD} of headers and a {@link #MAX_URL} URL as
     * HTTP/2 counts them (32 bytes more a field), and the link's own.
     */
    public static final int MAX_HEADER_LIST = 192 * 1024;
    /** RFC 9113 6.5.2: a header list's size is each field's name and value octets plus 32. */
    public static final int HEADER_ENTRY_OVERHEAD = 32;
    public static final int MAX_CONCURRENT_STREAMS = 20_000;
    /** Stream-level flow-control window. */
    public static final int STREAM_WINDOW = 1024 * 1024;
    /** Connection-level flow-control window: far above the 64 KiB default so many streams share a fast link. */
    public static final int CONNECTION_WINDOW = 32 * 1024 * 1024;

    private static final AsciiString PREFIX_NAME = AsciiString.cached(PREFIX);
    private static final AsciiString HTTP2_EXTENSION_PREFIX = AsciiString.cached("x-http2-");

    private LinkHeaders() {
    }

    /**
     * A link-internal name (cf-link-*) or one of Netty's HTTP/2 conversion names (x-http2-*): neither crosses from a
     * worker or an origin. {@code name} is lower case.
     */
    public static boolean internal(AsciiString name) {
        return name.startsWith(PREFIX_NAME) || name.startsWith(HTTP2_EXTENSION_PREFIX);
    }

    /**
     * RFC 9112 4: reason-phrase = 1*( HTAB / SP / VCHAR / obs-text ), or empty; what HTTP/2's header value check also
     * takes. The connector sends only such a phrase, the edge uses only such a one.
     */
    public static boolean reasonPhrase(CharSequence r) {
        for (int i = 0; i < r.length(); i++) {
            char c = r.charAt(i);
            if (c != '\t' && (c < ' ' || c == 0x7f || c > 0xff)) {
                return false;
            }
        }
        return true;
    }

    /** The size HTTP/2 gives these headers, as the link's SETTINGS_MAX_HEADER_LIST_SIZE ({@link #MAX_HEADER_LIST}) counts. */
    public static long listSize(Http2Headers h) {
        long size = 0;
        for (Map.Entry<CharSequence, CharSequence> e : h) {
            size += e.getKey().length() + e.getValue().length() + HEADER_ENTRY_OVERHEAD;
        }
        return size;
    }

    /**
     * The names a message's Connection header values list, lower case: hop-by-hop too (RFC 9110 7.6.1). Parsed once
     * per message, then checked per header with {@code contains}.
     */
    public static Set<AsciiString> connectionListed(List<String> connectionValues) {
        if (connectionValues.isEmpty()) {
            return Set.of();
        }
        Set<AsciiString> names = new HashSet<>();
        for (String value : connectionValues) {
            for (String n : value.split(",")) {
                String t = n.trim();
                if (!t.isEmpty()) {
                    names.add(AsciiString.of(t).toLowerCase());
                }
            }
        }
        return names;
    }
}
