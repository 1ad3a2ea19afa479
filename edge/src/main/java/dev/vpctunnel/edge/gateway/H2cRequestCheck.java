package dev.vpctunnel.edge.gateway;

import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http2.DefaultHttp2ResetFrame;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.handler.codec.http2.Http2HeadersFrame;
import io.netty.util.ReferenceCountUtil;

import java.util.logging.Logger;

/**
 * First in an h2c stream's pipeline: the stream's first HEADERS must be a request (RFC 9113 8.3.1: :method, :scheme
 * and a non-empty :path). Netty's HPACK decoder already refuses unknown, repeated or misplaced pseudo-headers, but not
 * missing ones, and the HTTP/1 conversion would take HEADERS without :method for trailers (no request, and a stream
 * that never ends). A malformed request is refused as RFC 9113 8.1.1 says: RST_STREAM(PROTOCOL_ERROR), the
 * connection and its other streams unharmed.
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
            String problem = problem(h.headers());
            if (problem != null) {
                refused = true;
                ReferenceCountUtil.release(msg);
                LOG.fine(() -> "h2c stream " + ctx.channel() + " reset: malformed request: " + problem);
                reset(ctx);
                return;
            }
        }
        ctx.fireChannelRead(msg);
    }

    /** What makes these request headers malformed, or null. */
    static String problem(Http2Headers h) {
        if (h.method() == null) {
            return "no :method";
        }
        if (h.scheme() == null) {
            return "no :scheme";
        }
        CharSequence path = h.path();
        if (path == null) {
            return "no :path";
        }
        return path.length() == 0 ? "empty :path" : null;
    }

    /** RST_STREAM(PROTOCOL_ERROR) on this stream, then its channel closes (no second reset: the stream is closed). */
    static void reset(ChannelHandlerContext ctx) {
        ctx.writeAndFlush(new DefaultHttp2ResetFrame(Http2Error.PROTOCOL_ERROR)).addListener(ChannelFutureListener.CLOSE);
    }
}
