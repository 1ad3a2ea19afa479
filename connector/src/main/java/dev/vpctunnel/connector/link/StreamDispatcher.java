package dev.vpctunnel.connector.link;

import dev.vpctunnel.core.link.LinkHeaders;
import dev.vpctunnel.core.net.StreamChannels;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelHandler;
import io.netty.handler.codec.http2.DefaultHttp2ResetFrame;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2HeadersFrame;
import io.netty.util.ReferenceCountUtil;

/**
 * First handler of every stream the edge opens (one instance per link, shared by its streams: no initializer per
 * stream): sends the stream to the control handler or to a fetch handler, then leaves its pipeline.
 */
@ChannelHandler.Sharable
final class StreamDispatcher extends ChannelInboundHandlerAdapter {
    private final LinkSlot slot;
    private final StreamChannels fetches;

    StreamDispatcher(LinkSlot slot, StreamChannels fetches) {
        this.slot = slot;
        this.fetches = fetches;
    }

    /** Stream channels read only when their handler asks (AUTO_READ off), so WINDOW_UPDATE follows consumption. */
    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        ctx.channel().config().setAutoRead(false);
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        ctx.read();
        ctx.fireChannelActive();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof Http2HeadersFrame headers)) {
            ReferenceCountUtil.release(msg);
            ctx.close();
            return;
        }
        CharSequence path = headers.headers().path();
        // A fetch carries its destination (cf-link-connect, which the edge never lets a worker set) and may have any
        // path, the control stream's too; the control stream carries none.
        if (path != null && LinkHeaders.CONTROL_PATH.contentEquals(path) && !headers.headers().contains(LinkHeaders.CONNECT)) {
            ctx.pipeline().replace(this, "control", new ConnectorControlStream(slot));
            ctx.pipeline().fireChannelRead(msg);
            return;
        }
        // counted before the check: a drain beginning on another thread meanwhile either sees this fetch and waits for
        // it, or has already stopped fetches and the check refuses it (its close takes the count back)
        slot.fetches().opened(ctx.channel());
        if (!slot.acceptsFetches()) {
            ReferenceCountUtil.release(msg);
            // closed after the reset: body frames already queued for it would otherwise keep it (and the drain) open
            ctx.writeAndFlush(new DefaultHttp2ResetFrame(Http2Error.REFUSED_STREAM)).addListener(ChannelFutureListener.CLOSE);
            return;
        }
        fetches.add(ctx.channel());
        ctx.pipeline().addLast("fetch", slot.newFetchHandler());
        ctx.pipeline().remove(this);
        ctx.fireChannelRead(msg);
    }
}
