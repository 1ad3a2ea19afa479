package dev.vpctunnel.edge.gateway;

import dev.vpctunnel.edge.link.EdgeLink;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http2.Http2DataFrame;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2HeadersFrame;
import io.netty.handler.codec.http2.Http2GoAwayFrame;
import io.netty.handler.codec.http2.Http2ResetFrame;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.util.ReferenceCountUtil;

/**
 * The tunnel stream's end of an exchange: turns the connector's HEADERS and DATA into the response's HTTP objects (one
 * copy of the headers) and hands them to the exchange on the worker's loop.
 */
final class TunnelStreamHandler extends ChannelDuplexHandler {
    private final Exchange exchange;
    private final EdgeLink link;
    private Http2Error reset;
    private boolean headSeen;
    private boolean headSent;

    /** The stream's whole pipeline (added by the stream bootstrap itself: no initializer per stream) on {@code link}. */
    TunnelStreamHandler(Exchange exchange, EdgeLink link) {
        this.exchange = exchange;
        this.link = link;
    }

    /**
     * The request's HEADERS go out only while the link takes new streams. Checked here, on the link's loop, where the
     * connector's drain notice is read: a stream picked just before it was read must not follow it (the connector
     * would then close the link under it); it ends as refused, and the exchange sends it on another link.
     */
    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        if (!headSent && msg instanceof Http2HeadersFrame) {
            headSent = true;
            if (link.peerDraining()) {
                ReferenceCountUtil.release(msg);
                reset = Http2Error.REFUSED_STREAM;
                promise.tryFailure(new java.nio.channels.ClosedChannelException());
                ctx.close();
                return;
            }
        }
        ctx.write(msg, promise);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof Http2HeadersFrame h && !headSeen) {
            headSeen = true;
            HttpResponse r;
            try {
                r = RequestHeaders.fromTunnel(h.headers(), h.isEndStream());
            } catch (IllegalArgumentException e) {
                ctx.close(); // a malformed head: the exchange sees the stream end before a response
                return;
            }
            exchange.onClientLoop(() -> exchange.responseHead(r));
        } else if (msg instanceof Http2DataFrame d) {
            HttpContent c = d.isEndStream() ? new DefaultLastHttpContent(d.content()) : new DefaultHttpContent(d.content());
            exchange.onClientLoop(() -> exchange.responseContent(c));
        } else if (msg instanceof Http2HeadersFrame trailers && trailers.isEndStream()) {
            LastHttpContent last = RequestHeaders.trailersFromTunnel(trailers.headers());
            exchange.onClientLoop(() -> exchange.responseContent(last));
        } else {
            ReferenceCountUtil.release(msg);
            ctx.read();
        }
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof Http2ResetFrame r) {
            reset = Http2Error.valueOf(r.errorCode());
        } else if (evt instanceof Http2GoAwayFrame g && ctx.channel() instanceof Http2StreamChannel s
                && s.stream().id() > g.lastStreamId()) {
            // the connector's GOAWAY says it never saw this stream: as safe to retry as a refused one
            reset = Http2Error.REFUSED_STREAM;
        }
        ReferenceCountUtil.release(evt);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        Http2Error r = reset;
        exchange.onClientLoop(() -> exchange.streamClosed(r));
        ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        ctx.close();
    }
}
