package dev.vpctunnel.connector.origin;

import dev.vpctunnel.core.link.LinkHeaders;
import dev.vpctunnel.core.net.Transports;
import dev.vpctunnel.proto.ConnectError;
import dev.vpctunnel.proto.ConnectRequest;
import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http2.DefaultHttp2WindowUpdateFrame;
import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import io.netty.handler.codec.http2.Http2MultiplexHandler;
import io.netty.handler.codec.http2.Http2ResetFrame;
import io.netty.handler.codec.http2.Http2Settings;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.handler.codec.http2.Http2StreamChannelBootstrap;
import io.netty.handler.codec.http2.Http2StreamFrameToHttpObjectCodec;
import io.netty.util.ReferenceCountUtil;
import io.prometheus.metrics.model.registry.PrometheusRegistry;

import java.io.ByteArrayOutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.zip.CRC32;

/**
 * A real HTTP/2 link over a loopback socket, as the lead's link code will build it: the "connector" side is an h2c
 * server whose stream channels (autoRead off) get the HttpObject codec and the OriginService's handler; the "edge" side
 * opens one stream per fetch.
 */
final class TestLink implements AutoCloseable {
    final EventLoopGroup group;
    /** The group given to the OriginService: the link's own, or a separate one (origin work then changes threads). */
    final EventLoopGroup originGroup;
    final OriginService service;
    /** Where the service's FetchStats count. */
    final PrometheusRegistry registry = new PrometheusRegistry();
    private final Channel server;
    private final Channel client;

    TestLink(OriginConfig config) throws InterruptedException {
        this(config, false);
    }

    TestLink(OriginConfig config, boolean separateOriginGroup) throws InterruptedException {
        group = Transports.group(2, "test-link");
        originGroup = separateOriginGroup ? Transports.group(2, "test-origin-io") : group;
        service = new OriginService(config, originGroup, new FetchStats(registry));
        server = new ServerBootstrap().group(group).channel(Transports.server())
                .childHandler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        ch.pipeline().addLast(Http2FrameCodecBuilder.forServer().initialSettings(settings()).build(),
                                new Http2MultiplexHandler(new ChannelInitializer<Http2StreamChannel>() {
                                    @Override
                                    protected void initChannel(Http2StreamChannel sc) {
                                        sc.config().setAutoRead(false);
                                        sc.pipeline().addLast(new ReadOnce(),
                                                service.newStreamHandler());
                                    }
                                }), new WindowOpener());
                    }
                }).bind(new InetSocketAddress("127.0.0.1", 0)).sync().channel();
        client = new Bootstrap().group(group).channel(Transports.socket())
                .handler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        ch.pipeline().addLast(Http2FrameCodecBuilder.forClient().initialSettings(settings()).build(),
                                new Http2MultiplexHandler(new ChannelInboundHandlerAdapter()), new WindowOpener());
                    }
                }).connect(server.localAddress()).sync().channel();
    }

    private static Http2Settings settings() {
        return Http2Settings.defaultSettings().initialWindowSize(LinkHeaders.STREAM_WINDOW)
                .maxHeaderListSize(LinkHeaders.MAX_HEADER_LIST);
    }

    /** Opens the connection-level window, as the link does. */
    private static final class WindowOpener extends ChannelInboundHandlerAdapter {
        @Override
        public void channelActive(ChannelHandlerContext ctx) {
            ctx.fireChannelActive();
            ctx.writeAndFlush(new DefaultHttp2WindowUpdateFrame(LinkHeaders.CONNECTION_WINDOW - 65535));
        }
    }

    /** The link calls read() once on a new stream channel. */
    private static final class ReadOnce extends ChannelInboundHandlerAdapter {
        @Override
        public void channelActive(ChannelHandlerContext ctx) {
            ctx.fireChannelActive();
            ctx.read();
            ctx.pipeline().remove(this);
        }
    }

    static String encode(ConnectRequest r) {
        return Base64.getEncoder().encodeToString(r.toByteArray());
    }

    static ConnectError error(HttpResponse r) {
        String v = r.headers().get(LinkHeaders.ERROR);
        if (v == null) {
            return null;
        }
        try {
            return ConnectError.parseFrom(Base64.getDecoder().decode(v));
        } catch (Exception e) {
            throw new AssertionError("bad cf-link-error: " + v, e);
        }
    }

    /** A GET (or other body-less request) through the link. */
    Fetch get(ConnectRequest cr, String path) throws InterruptedException {
        return get(cr, path, true);
    }

    /** A GET whose body is only counted and checksummed when {@code keepBody} is false. */
    Fetch get(ConnectRequest cr, String path, boolean keepBody) throws InterruptedException {
        return open(request(HttpMethod.GET, cr, path), keepBody, null);
    }

    static HttpRequest request(HttpMethod method, ConnectRequest cr, String path) {
        HttpRequest req = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, method, path);
        if (!cr.getServerName().isEmpty()) {
            req.headers().set(HttpHeaderNames.HOST, cr.getServerName());
        }
        req.headers().set(LinkHeaders.CONNECT, encode(cr));
        return req;
    }

    /** Opens a stream and sends {@code head}; {@code body} (if any) runs on the stream channel's loop to write the rest. */
    Fetch open(HttpRequest head, boolean keepBody, Consumer<Http2StreamChannel> body) throws InterruptedException {
        return open(head, keepBody, true, body);
    }

    /** With {@code autoRead} false the edge side reads nothing until told: a slow worker. */
    Fetch open(HttpRequest head, boolean keepBody, boolean autoRead, Consumer<Http2StreamChannel> body)
            throws InterruptedException {
        Fetch fetch = new Fetch(keepBody);
        Http2StreamChannel ch = new Http2StreamChannelBootstrap(client).handler(new ChannelInitializer<Http2StreamChannel>() {
            @Override
            protected void initChannel(Http2StreamChannel sc) {
                sc.config().setAutoRead(autoRead);
                sc.pipeline().addLast(new Http2StreamFrameToHttpObjectCodec(false), fetch);
            }
        }).open().sync().getNow();
        fetch.channel = ch;
        ch.writeAndFlush(head).addListener(w -> {
            if (!w.isSuccess()) {
                fetch.head.completeExceptionally(w.cause());
            }
        });
        if (body != null) {
            ch.eventLoop().execute(() -> body.accept(ch));
        }
        return fetch;
    }

    @Override
    public void close() {
        client.close().syncUninterruptibly();
        server.close().syncUninterruptibly();
        service.close();
        group.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
        if (originGroup != group) {
            originGroup.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
        }
    }

    /** What the edge sees of one fetch. */
    static final class Fetch extends ChannelInboundHandlerAdapter {
        final CompletableFuture<HttpResponse> head = new CompletableFuture<>();
        /** "end" for a clean end of stream, "reset:CODE" for RST_STREAM, "closed" for a close without either. */
        final CompletableFuture<String> outcome = new CompletableFuture<>();
        final CompletableFuture<Void> firstByte = new CompletableFuture<>();
        private final boolean keepBody;
        private final ByteArrayOutputStream body = new ByteArrayOutputStream();
        final CRC32 crc = new CRC32();
        volatile long bodyBytes;
        volatile Http2StreamChannel channel;

        Fetch(boolean keepBody) {
            this.keepBody = keepBody;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            try {
                if (msg instanceof HttpResponse r) {
                    head.complete(r);
                }
                if (msg instanceof HttpContent c) {
                    ByteBuf b = c.content();
                    int n = b.readableBytes();
                    if (n > 0) {
                        if (keepBody) {
                            b.getBytes(b.readerIndex(), body, n);
                        }
                        if (b.hasArray()) {
                            crc.update(b.array(), b.arrayOffset() + b.readerIndex(), n);
                        } else {
                            crc.update(b.nioBuffer());
                        }
                        bodyBytes += n;
                        firstByte.complete(null);
                    }
                    if (c instanceof LastHttpContent) {
                        outcome.complete("end");
                    }
                }
            } catch (java.io.IOException e) {
                throw new IllegalStateException(e);
            } finally {
                ReferenceCountUtil.release(msg);
            }
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
            if (evt instanceof Http2ResetFrame r) {
                outcome.complete("reset:" + r.errorCode());
            }
            ReferenceCountUtil.release(evt);
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            head.completeExceptionally(new IllegalStateException("stream closed before a response"));
            outcome.complete("closed");
        }

        HttpResponse response() throws Exception {
            return head.get(20, TimeUnit.SECONDS);
        }

        String awaitOutcome() throws Exception {
            return outcome.get(60, TimeUnit.SECONDS);
        }

        String bodyText() throws Exception {
            awaitOutcome();
            return body.toString(StandardCharsets.UTF_8);
        }
    }
}
