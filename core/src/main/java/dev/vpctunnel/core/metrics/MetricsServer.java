package dev.vpctunnel.core.metrics;

import dev.vpctunnel.core.net.IdleWatch;
import dev.vpctunnel.core.net.RequestDeadline;
import dev.vpctunnel.core.net.Transports;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufOutputStream;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import io.netty.handler.timeout.IdleStateEvent;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.nio.charset.StandardCharsets;
import java.util.function.Supplier;

/**
 * GET /metrics (Prometheus text), GET /ready (200 when ready, else 503; a JSON body as cloudflared's, {@link Readiness})
 * and GET /healthcheck (200 "OK" while the process runs, as cloudflared's) on a small listener of its own. A request
 * must arrive within {@link #REQUEST_TIMEOUT} and a keep-alive connection idle for {@link #IDLE_TIMEOUT} is closed, so
 * stuck or trickling clients cannot pile up open connections. A request that cannot be parsed gets 400 (414 for a
 * request line, 431 for headers over the limit) and the connection is closed.
 */
public final class MetricsServer implements AutoCloseable {
    /** How long a request (line, headers, body) may take to arrive: from the connection's start or its first byte. */
    public static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(10);
    /** How long a keep-alive connection may stay without traffic. */
    public static final Duration IDLE_TIMEOUT = Duration.ofSeconds(60);

    private final Channel channel;

    private MetricsServer(Channel channel) {
        this.channel = channel;
    }

    public static MetricsServer start(InetSocketAddress bind, EventLoopGroup group, PrometheusRegistry registry,
                                      Supplier<Readiness> ready) throws InterruptedException {
        return start(bind, group, registry, ready, REQUEST_TIMEOUT, IDLE_TIMEOUT);
    }

    /** As above, with the time a request may take to arrive and the time a keep-alive connection may stay idle. */
    public static MetricsServer start(InetSocketAddress bind, EventLoopGroup group, PrometheusRegistry registry,
                                      Supplier<Readiness> ready, Duration requestTimeout, Duration idleTimeout)
            throws InterruptedException {
        PrometheusTextFormatWriter writer = PrometheusTextFormatWriter.create();
        Channel ch = dev.vpctunnel.core.net.AcceptFailures.install(new ServerBootstrap().group(group).channel(Transports.server())
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel c) {
                        RequestDeadline deadline = new RequestDeadline(requestTimeout);
                        c.pipeline().addLast(new IdleWatch(Duration.ZERO, Duration.ZERO, idleTimeout), deadline.bytes(),
                                new HttpServerCodec(4096, 8192, 8192), deadline.requests(), new HttpObjectAggregator(4096),
                                new Handler(registry, writer, ready));
                    }
                })
                .bind(bind).sync().channel());
        return new MetricsServer(ch);
    }

    public int port() {
        return ((InetSocketAddress) channel.localAddress()).getPort();
    }

    @Override
    public void close() {
        channel.close();
    }

    private static final class Handler extends SimpleChannelInboundHandler<FullHttpRequest> {
        private final PrometheusRegistry registry;
        private final PrometheusTextFormatWriter writer;
        private final Supplier<Readiness> ready;

        Handler(PrometheusRegistry registry, PrometheusTextFormatWriter writer, Supplier<Readiness> ready) {
            this.registry = registry;
            this.writer = writer;
            this.ready = ready;
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest req) throws IOException {
            if (req.decoderResult().isFailure()) {
                // the decoder discards everything after a failure: answer, then close
                Throwable cause = req.decoderResult().cause();
                FullHttpResponse resp = cause instanceof TooLongHttpHeaderException
                        ? text(ctx, HttpResponseStatus.REQUEST_HEADER_FIELDS_TOO_LARGE, "request headers too large\n")
                        : cause instanceof TooLongHttpLineException
                        ? text(ctx, HttpResponseStatus.REQUEST_URI_TOO_LONG, "request line too long\n")
                        : text(ctx, HttpResponseStatus.BAD_REQUEST, "malformed HTTP request\n");
                HttpUtil.setContentLength(resp, resp.content().readableBytes());
                HttpUtil.setKeepAlive(resp, false);
                ctx.writeAndFlush(resp).addListener(ChannelFutureListener.CLOSE);
                return;
            }
            String path = req.uri().split("\\?", 2)[0];
            FullHttpResponse resp;
            if (path.equals("/metrics")) {
                ByteBuf buf = ctx.alloc().buffer(8192);
                try (ByteBufOutputStream out = new ByteBufOutputStream(buf)) {
                    writer.write(out, registry.scrape());
                } catch (IOException | RuntimeException e) {
                    buf.release();
                    throw e;
                }
                resp = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK, buf);
                resp.headers().set(HttpHeaderNames.CONTENT_TYPE, writer.getContentType());
            } else if (path.equals("/ready")) {
                Readiness r = ready.get();
                resp = text(ctx, HttpResponseStatus.valueOf(r.status()), r.body());
                resp.headers().set(HttpHeaderNames.CONTENT_TYPE, "application/json");
            } else if (path.equals("/healthcheck")) { // cloudflared's liveness path: the process answers
                resp = text(ctx, HttpResponseStatus.OK, "OK\n");
            } else {
                resp = text(ctx, HttpResponseStatus.NOT_FOUND, "not found: try /metrics, /ready or /healthcheck\n");
            }
            HttpUtil.setContentLength(resp, resp.content().readableBytes());
            boolean keep = HttpUtil.isKeepAlive(req);
            HttpUtil.setKeepAlive(resp, keep);
            var f = ctx.writeAndFlush(resp);
            if (!keep) {
                f.addListener(ChannelFutureListener.CLOSE);
            }
        }

        private static FullHttpResponse text(ChannelHandlerContext ctx, HttpResponseStatus status, String body) {
            FullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status,
                    ctx.alloc().buffer().writeBytes(body.getBytes(StandardCharsets.UTF_8)));
            r.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/plain; charset=utf-8");
            return r;
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
            if (evt instanceof IdleStateEvent) {
                ctx.close();
                return;
            }
            ctx.fireUserEventTriggered(evt);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }
}
