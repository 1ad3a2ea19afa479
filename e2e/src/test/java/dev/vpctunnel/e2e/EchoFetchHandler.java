package dev.vpctunnel.e2e;

import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;

import java.util.concurrent.TimeUnit;

/**
 * The far end of a link-level test stream (stands in for the origin side, which is another issue): answers 200
 * and echoes the request body back, after {@code delayMs} when the request carries header x-delay-ms.
 */
final class EchoFetchHandler extends ChannelInboundHandlerAdapter {
    /** A fetch handler of the connector sees the stream's HTTP/2 frames: this one works on HTTP objects made of them. */
    static io.netty.channel.ChannelHandler onStream() {
        return new io.netty.channel.ChannelInitializer<io.netty.channel.Channel>() {
            @Override
            protected void initChannel(io.netty.channel.Channel ch) {
                ch.pipeline().addLast(new io.netty.handler.codec.http2.Http2StreamFrameToHttpObjectCodec(true), new EchoFetchHandler());
            }
        };
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof HttpRequest req) {
            long delay = Long.parseLong(req.headers().get("x-delay-ms", "0"));
            DefaultHttpResponse resp = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
            resp.headers().set("x-echo-path", req.uri());
            // the response head goes out first; the body is read (and echoed) only after it
            ctx.executor().schedule(() -> ctx.writeAndFlush(resp).addListener(f -> ctx.read()), delay, TimeUnit.MILLISECONDS);
            return;
        }
        if (msg instanceof HttpContent c) {
            boolean last = c instanceof LastHttpContent;
            ctx.writeAndFlush(last ? new io.netty.handler.codec.http.DefaultLastHttpContent(c.content()) : new io.netty.handler.codec.http.DefaultHttpContent(c.content()))
                    .addListener((ChannelFutureListener) f -> {
                        if (!last) {
                            ctx.read();
                        }
                    });
            return;
        }
        io.netty.util.ReferenceCountUtil.release(msg);
        ctx.read();
    }
}
