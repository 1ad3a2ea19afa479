package dev.vpctunnel.core.link;

import io.netty.util.AsciiString;

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
    /** Prefix of every link-internal header; the connector drops origin headers with it. */
    public static final String PREFIX = "cf-link-";

    public static final int MAX_CONTROL_MESSAGE = 16 * 1024;
    public static final int MAX_HEADER_LIST = 64 * 1024;
    public static final int MAX_CONCURRENT_STREAMS = 20_000;
    /** Stream-level flow-control window. */
    public static final int STREAM_WINDOW = 1024 * 1024;
    /** Connection-level flow-control window: far above the 64 KiB default so many streams share a fast link. */
    public static final int CONNECTION_WINDOW = 32 * 1024 * 1024;

    private LinkHeaders() {
    }
}
