package dev.vpctunnel.e2e;

import dev.vpctunnel.edge.link.EdgeLink;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.handler.codec.http2.Http2StreamFrameToHttpObjectCodec;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.concurrent.CompletableFuture;

/** Opens one stream on an edge link, sends a request with a body, collects the response body. */
final class EdgeStreamClient {
    record Result(int status, byte[] body) {
    }

    static CompletableFuture<Result> exchange(EdgeLink link, byte[] body, long delayMs) {
        CompletableFuture<Result> out = new CompletableFuture<>();
        link.openStream(new ChannelInitializer<Http2StreamChannel>() {
            @Override
            protected void initChannel(Http2StreamChannel ch) {
                ch.pipeline().addLast(new Http2StreamFrameToHttpObjectCodec(false), new Collector(body, delayMs, out));
            }
        }).addListener(f -> {
            if (!f.isSuccess()) {
                out.completeExceptionally(f.cause());
            }
        });
        return out;
    }

    private static final class Collector extends ChannelInboundHandlerAdapter {
        private final byte[] body;
        private final long delayMs;
        private final CompletableFuture<Result> out;
        private final ByteArrayOutputStream received = new ByteArrayOutputStream();
        private int status;

        Collector(byte[] body, long delayMs, CompletableFuture<Result> out) {
            this.body = body;
            this.delayMs = delayMs;
            this.out = out;
        }

        @Override
        public void channelActive(ChannelHandlerContext ctx) {
            DefaultFullHttpRequest req = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.POST, "/echo",
                    Unpooled.wrappedBuffer(body));
            req.headers().set("host", "echo.internal").set("x-delay-ms", String.valueOf(delayMs));
            ctx.writeAndFlush(req);
            ctx.read();
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            try {
                if (msg instanceof HttpResponse r) {
                    status = r.status().code();
                }
                if (msg instanceof HttpContent c) {
                    c.content().readBytes(received, c.content().readableBytes());
                    if (msg instanceof LastHttpContent) {
                        out.complete(new Result(status, received.toByteArray()));
                        ctx.close();
                        return;
                    }
                }
            } catch (IOException e) {
                out.completeExceptionally(e);
            } finally {
                io.netty.util.ReferenceCountUtil.release(msg);
            }
            ctx.read();
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            out.completeExceptionally(new IOException("stream closed before the response ended"));
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
            if (evt instanceof io.netty.handler.codec.http2.Http2ResetFrame r) {
                out.completeExceptionally(new IOException("stream reset: " + r.errorCode()));
            }
        }
    }
}
