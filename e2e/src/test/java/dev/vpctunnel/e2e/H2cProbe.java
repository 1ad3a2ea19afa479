package dev.vpctunnel.e2e;

import dev.vpctunnel.core.net.Transports;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.handler.codec.http2.DefaultHttp2DataFrame;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.DefaultHttp2HeadersFrame;
import io.netty.handler.codec.http2.Http2DataFrame;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.handler.codec.http2.Http2HeadersFrame;
import io.netty.handler.codec.http2.Http2MultiplexHandler;
import io.netty.handler.codec.http2.Http2ResetFrame;
import io.netty.handler.codec.http2.Http2Settings;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.handler.codec.http2.Http2StreamChannelBootstrap;
import io.netty.util.ReferenceCountUtil;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.UnaryOperator;

/**
 * An h2c (prior knowledge) client that sends whatever HEADERS a test gives it, pseudo-headers missing or not, and
 * reports how the gateway answered the stream: a response, a reset, or nothing within the wait.
 */
final class H2cProbe implements AutoCloseable {
    /** status and cf-vpc-error are null without a response; reset is null without RST_STREAM; timedOut: no end at all. */
    record Answer(String status, String error, String body, Http2Error reset, boolean timedOut) {
        @Override
        public String toString() {
            return timedOut ? "no answer" : reset != null ? "RST(" + reset + ")" + (status == null ? "" : " after " + status)
                    : status + " " + (error == null ? "-" : error) + " " + body;
        }
    }

    private final EventLoopGroup group = Transports.group(1, "t-h2c-probe");
    private final Channel conn;

    H2cProbe(int port) throws InterruptedException {
        conn = new Bootstrap().group(group).channel(Transports.socket())
                .handler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        ch.pipeline().addLast(Http2FrameCodecBuilder.forClient()
                                        .initialSettings(Http2Settings.defaultSettings().maxHeaderListSize(1 << 20))
                                        .validateHeaders(false).build(),
                                new Http2MultiplexHandler(new ChannelInboundHandlerAdapter()));
                    }
                }).connect("127.0.0.1", port).sync().channel();
    }

    /** A plain h2c (prior knowledge) client connection to 127.0.0.1:port on {@code group}; streams opened on it by the caller. */
    static Channel connect(EventLoopGroup group, int port) throws InterruptedException {
        return connect(group, port, UnaryOperator.identity());
    }

    /** {@link #connect(EventLoopGroup, int)} with the client's codec tuned (its settings, its shutdown). */
    static Channel connect(EventLoopGroup group, int port, UnaryOperator<Http2FrameCodecBuilder> tune) throws InterruptedException {
        return new Bootstrap().group(group).channel(Transports.socket())
                .handler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        ch.pipeline().addLast(tune.apply(Http2FrameCodecBuilder.forClient()).build(),
                                new Http2MultiplexHandler(new ChannelInboundHandlerAdapter()));
                    }
                }).connect("127.0.0.1", port).sync().channel();
    }

    static Http2Headers request(String method, String scheme, String authority, String path) {
        Http2Headers h = new DefaultHttp2Headers(false);
        if (method != null) {
            h.method(method);
        }
        if (scheme != null) {
            h.scheme(scheme);
        }
        if (authority != null) {
            h.authority(authority);
        }
        if (path != null) {
            h.path(path);
        }
        return h;
    }

    boolean isOpen() {
        return conn.isActive();
    }

    /** Sends the headers (ending the stream unless a body follows) and waits up to {@code waitMs} for the stream's end. */
    Answer send(Http2Headers headers, String body, long waitMs) throws Exception {
        return send(headers, body, false, waitMs);
    }

    /**
     * Sends the headers without ending the request (a body that has not come yet) and waits up to {@code waitMs} for
     * the stream to close: the answer, if any, and the RST_STREAM that closed it.
     */
    Answer sendAndKeepOpen(Http2Headers headers, long waitMs) throws Exception {
        return send(headers, null, true, waitMs);
    }

    private Answer send(Http2Headers headers, String body, boolean keepOpen, long waitMs) throws Exception {
        CompletableFuture<Answer> answer = new CompletableFuture<>();
        Http2StreamChannel s = open(conn, headers, body, keepOpen, answer);
        try {
            return answer.get(waitMs, TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            s.close();
            return new Answer(null, null, "", null, true);
        }
    }

    /**
     * Opens a stream on {@code conn} and sends the headers (and body); {@code answer} completes at the stream's end
     * (unless {@code keepOpen}: then at its reset or close) with what came back.
     */
    static Http2StreamChannel open(Channel conn, Http2Headers headers, String body, boolean keepOpen,
                                   CompletableFuture<Answer> answer) throws InterruptedException {
        Http2StreamChannel s = new Http2StreamChannelBootstrap(conn).handler(new ChannelInboundHandlerAdapter() {
            private String status;
            private String error;
            private final StringBuilder received = new StringBuilder();
            private Http2Error reset;

            @Override
            public void channelRead(ChannelHandlerContext ctx, Object msg) {
                if (msg instanceof Http2HeadersFrame h) {
                    if (status == null && h.headers().status() != null) {
                        status = h.headers().status().toString();
                        CharSequence e = h.headers().get("cf-vpc-error");
                        error = e == null ? null : e.toString();
                    }
                    if (h.isEndStream() && !keepOpen) {
                        done();
                    }
                } else if (msg instanceof Http2DataFrame d) {
                    received.append(d.content().toString(StandardCharsets.UTF_8));
                    if (d.isEndStream() && !keepOpen) {
                        done();
                    }
                }
                ReferenceCountUtil.release(msg);
            }

            @Override
            public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
                if (evt instanceof Http2ResetFrame r) {
                    reset = Http2Error.valueOf(r.errorCode());
                    done();
                }
                ReferenceCountUtil.release(evt);
            }

            @Override
            public void channelInactive(ChannelHandlerContext ctx) {
                done();
            }

            private void done() {
                answer.complete(new Answer(status, error, received.toString(), reset, false));
            }
        }).open().sync().getNow();
        s.write(new DefaultHttp2HeadersFrame(headers, body == null && !keepOpen));
        if (body != null) {
            s.write(new DefaultHttp2DataFrame(Unpooled.copiedBuffer(body, StandardCharsets.UTF_8), true));
        }
        s.flush();
        return s;
    }

    @Override
    public void close() {
        conn.close().syncUninterruptibly();
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }
}
