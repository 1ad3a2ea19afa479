package dev.vpctunnel.edge.gateway;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2GoAwayFrame;
import io.netty.handler.codec.http2.Http2ResetFrame;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.handler.codec.http2.Http2StreamFrameToHttpObjectCodec;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.EventExecutor;

/** The tunnel stream's end of an exchange: hands the connector's response to the exchange on the worker's loop. */
final class TunnelStreamHandler extends ChannelInboundHandlerAdapter {
    private final Exchange exchange;
    private final EventExecutor clientLoop;
    private Http2Error reset;

    private TunnelStreamHandler(Exchange exchange, EventExecutor clientLoop) {
        this.exchange = exchange;
        this.clientLoop = clientLoop;
    }

    static final class Init extends ChannelInitializer<Http2StreamChannel> {
        private final Exchange exchange;
        private final EventExecutor clientLoop;

        Init(Exchange exchange, EventExecutor clientLoop) {
            this.exchange = exchange;
            this.clientLoop = clientLoop;
        }

        @Override
        protected void initChannel(Http2StreamChannel ch) {
            ch.pipeline().addLast(new Http2StreamFrameToHttpObjectCodec(false), new TunnelStreamHandler(exchange, clientLoop));
        }
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof HttpResponse r) {
            onClientLoop(() -> exchange.responseHead(r));
            if (msg instanceof HttpContent) {
                return; // a full response: the head carries the body and the end
            }
        } else if (msg instanceof HttpContent c) {
            onClientLoop(() -> exchange.responseContent(c));
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
        onClientLoop(() -> exchange.streamClosed(r));
        ctx.fireChannelInactive();
    }

    /** The link and the worker connection often share a loop (the router prefers that): then no task hop. */
    private void onClientLoop(Runnable r) {
        if (clientLoop.inEventLoop()) {
            r.run();
        } else {
            clientLoop.execute(r);
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        ctx.close();
    }
}
