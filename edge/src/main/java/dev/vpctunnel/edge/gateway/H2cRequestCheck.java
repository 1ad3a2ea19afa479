package dev.vpctunnel.edge.gateway;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValidationUtil;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http2.DefaultHttp2DataFrame;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.DefaultHttp2HeadersFrame;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.handler.codec.http2.Http2HeadersFrame;
import io.netty.util.AsciiString;
import io.netty.util.ReferenceCountUtil;

import java.nio.charset.StandardCharsets;
import java.util.logging.Logger;

/**
 * First in an h2c stream's pipeline: the stream's first HEADERS must be a request (RFC 9113 8.3.1: :method, :scheme
 * and a non-empty :path). Netty's HPACK decoder already refuses unknown, repeated or misplaced pseudo-headers, but not
 * missing ones, and the HTTP/1 conversion would take HEADERS without :method for trailers (no request, and a stream
 * that never ends). A malformed request is refused as RFC 9113 8.1.1 says: RST_STREAM(PROTOCOL_ERROR), the
 * connection and its other streams unharmed. A host field that says otherwise than :authority gets a 400 naming both.
 */
final class H2cRequestCheck extends ChannelInboundHandlerAdapter {
    private static final Logger LOG = Logger.getLogger(H2cRequestCheck.class.getName());
    private boolean headSeen;
    private boolean refused;

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (refused) {
            ReferenceCountUtil.release(msg);
            return;
        }
        if (!headSeen && msg instanceof Http2HeadersFrame h) {
            headSeen = true;
            if (HttpMethod.CONNECT.asciiName().contentEquals(h.headers().method()) && !h.headers().contains(":protocol")) {
                // RFC 9113 8.5: well-formed without :scheme and :path, but no fetch (curl -x with an https URL sends it)
                refused = true;
                ReferenceCountUtil.release(msg);
                answer(ctx, FetchError.of(FetchError.Code.NO_ROUTE, CONNECT_REFUSED));
                return;
            }
            String problem = problem(h.headers());
            if (problem != null) {
                refused = true;
                ReferenceCountUtil.release(msg);
                LOG.fine(() -> "h2c stream " + ctx.channel() + " reset: malformed request: " + problem);
                reset(ctx);
                return;
            }
            String differ = hostsDiffer(h.headers());
            if (differ != null) {
                refused = true;
                ReferenceCountUtil.release(msg);
                badRequest(ctx, "bad request: " + differ);
                return;
            }
        }
        ctx.fireChannelRead(msg);
    }

    /**
     * What makes these request headers malformed, or null. Also what Netty's HTTP/1 conversion, next, would throw on
     * (a :method that is no token; its request target with a space, CR or LF, or missing: :path, or :authority for a
     * CONNECT in any letter case, the case this handler's CONNECT check above leaves through): it throws after taking a
     * buffer for the body, which it then never releases, so such a stream leaked one buffer each (the fuzzing campaign
     * and the review of session 16).
     */
    static String problem(Http2Headers h) {
        CharSequence method = h.method();
        if (method == null) {
            return "no :method";
        }
        if (h.scheme() == null) {
            return "no :scheme";
        }
        CharSequence path = h.path();
        if (path == null) {
            return "no :path";
        }
        if (path.length() == 0) {
            return "empty :path";
        }
        if (method.length() == 0 || HttpHeaderValidationUtil.validateToken(method) >= 0) { // RFC 9110 tchar, Netty's rule
            return "a :method that is no token";
        }
        boolean connect = HttpMethod.CONNECT.asciiName().contentEqualsIgnoreCase(method);
        CharSequence target = connect ? h.authority() : path; // what the conversion takes as the request's URI
        if (target == null) {
            return "CONNECT without :authority";
        }
        for (int i = 0; i < target.length(); i++) {
            char c = target.charAt(i);
            if (c == ' ' || c == '\r' || c == '\n') {
                return "a space, CR or LF in " + (connect ? ":authority" : ":path");
            }
        }
        return null;
    }

    /**
     * RFC 9113 8.3.1: a host field must say what :authority says (and host fields what the first one says). Netty's
     * HTTP/1 conversion, next in the pipeline, merges equal ones into one Host and fails the stream on any other, which
     * would reach the worker as a bare RST_STREAM(CANCEL); this names both values in a 400 instead.
     */
    static String hostsDiffer(Http2Headers h) {
        if (!h.contains(HttpHeaderNames.HOST)) {
            return null; // most requests: no host field, and no list allocated for one
        }
        CharSequence first = h.authority();
        for (CharSequence host : h.getAll(HttpHeaderNames.HOST)) {
            if (first == null) {
                first = host;
            } else if (!AsciiString.contentEqualsIgnoreCase(first, host)) {
                return "the request's " + (h.authority() != null ? ":authority and host field" : "host fields") + " differ: '"
                        + FetchUrl.printable(first.toString()) + "' and '" + FetchUrl.printable(host.toString()) + "'";
            }
        }
        return null;
    }

    /** Why a CONNECT gets no_route, on both protocols. */
    static final String CONNECT_REFUSED = "CONNECT is not carried: the gateway takes HTTP requests (an absolute http:// URL,"
            + " or origin-form with Host and cf-vpc-scheme: https for https)";

    /**
     * The fetch error as HTTP/1 would give it, as one HEADERS and one DATA frame that ends the stream, then ends it
     * (a body still to come is refused with RST_STREAM(NO_ERROR): a plain close would send CANCEL).
     */
    private static void answer(ChannelHandlerContext ctx, FetchError error) {
        io.netty.handler.codec.http.FullHttpResponse r = error.toResponse(ctx.alloc(), true);
        Http2Headers head = new DefaultHttp2Headers().status(r.status().codeAsText());
        r.headers().forEach(e -> head.add(AsciiString.of(e.getKey()).toLowerCase(), e.getValue()));
        ctx.write(new DefaultHttp2HeadersFrame(head));
        ctx.writeAndFlush(new DefaultHttp2DataFrame(r.content(), true)).addListener(f -> AnswerClose.after(ctx, f.isSuccess()));
    }

    /** A plain 400 (as MalformedRequest's) that ends the stream, then the stream ends. */
    private static void badRequest(ChannelHandlerContext ctx, String text) {
        LOG.fine(() -> "h2c stream " + ctx.channel() + " refused: " + text);
        byte[] body = (text + "\n").getBytes(StandardCharsets.UTF_8);
        Http2Headers head = new DefaultHttp2Headers().status(HttpResponseStatus.BAD_REQUEST.codeAsText())
                .set(HttpHeaderNames.CONTENT_TYPE, "text/plain; charset=UTF-8").setInt(HttpHeaderNames.CONTENT_LENGTH, body.length);
        ctx.write(new DefaultHttp2HeadersFrame(head));
        ctx.writeAndFlush(new DefaultHttp2DataFrame(ctx.alloc().buffer(body.length).writeBytes(body), true))
                .addListener(f -> AnswerClose.after(ctx, f.isSuccess()));
    }

    /** A malformed request's end (RFC 9113 8.1.1): RST_STREAM(PROTOCOL_ERROR), then the stream's channel closes. */
    static void reset(ChannelHandlerContext ctx) {
        AnswerClose.reset(ctx, Http2Error.PROTOCOL_ERROR);
    }
}
