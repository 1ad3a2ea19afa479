package dev.vpctunnel.connector.origin;

import dev.vpctunnel.core.net.Transports;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.handler.ssl.SniHandler;
import io.netty.handler.ssl.SslContext;
import io.netty.util.AsyncMapping;
import io.netty.util.ReferenceCountUtil;

import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * An HTTP/1.1 origin on loopback (optionally TLS) with a few routes:
 * /hello (content-length), /chunked, /headers (echoes the request headers), /conn (the connection's number),
 * /download?bytes=N (streamed with backpressure), /upload (counts the body), /echo (streams the body back),
 * /die (content-length longer than what is sent, then close), /hang (head and a little body, then nothing),
 * /upgrade (101 Switching Protocols, then nothing).
 */
final class TestOrigin implements AutoCloseable {
    private static final ByteBuf ZEROS = Unpooled.unreleasableBuffer(Unpooled.directBuffer(64 * 1024).writeZero(64 * 1024));

    final AtomicInteger connections = new AtomicInteger();
    final AtomicInteger closedConnections = new AtomicInteger();
    final CountDownLatch hangClosed = new CountDownLatch(1);
    /** Counted down when a connection that answered /upgrade is closed. */
    final CountDownLatch upgradeClosed = new CountDownLatch(1);
    final AtomicLong uploaded = new AtomicLong();
    /** Bytes of /download bodies handed to the socket so far. */
    final AtomicLong downloadSent = new AtomicLong();
    /** The SNI host name of the last TLS ClientHello ("" when it had none). */
    final java.util.concurrent.atomic.AtomicReference<String> lastSni = new java.util.concurrent.atomic.AtomicReference<>();
    private final EventLoopGroup group;
    private final ServerBootstrap bootstrap;
    private final Channel server;
    private final java.util.List<Channel> moreServers = new java.util.concurrent.CopyOnWriteArrayList<>();

    TestOrigin(String bindAddress, SslContext tls) throws InterruptedException {
        this(bindAddress, tls, 0);
    }

    /**
     * On a given port: an IPv6 origin whose port must be free on 127.0.0.1 as well (nothing there, or a test's own
     * listener) takes one from {@link dev.vpctunnel.core.testing.SparePorts}, which no other test JVM binds.
     */
    TestOrigin(String bindAddress, SslContext tls, int port) throws InterruptedException {
        group = Transports.group(1, "test-origin");
        bootstrap = new ServerBootstrap().group(group).channel(Transports.server())
                .childHandler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        if (tls != null) {
                            // SniHandler parses the ClientHello itself, so it records names the JDK would refuse
                            ch.pipeline().addLast(new SniHandler((AsyncMapping<String, SslContext>) (host, promise) -> {
                                lastSni.set(host == null ? "" : host);
                                return promise.setSuccess(tls);
                            }));
                        }
                        ch.pipeline().addLast(new HttpServerCodec(), new Routes(connections.incrementAndGet()));
                        ch.closeFuture().addListener(f -> closedConnections.incrementAndGet());
                    }
                });
        server = bootstrap.bind(new InetSocketAddress(bindAddress, port)).sync().channel();
    }

    int port() {
        return ((InetSocketAddress) server.localAddress()).getPort();
    }

    /** Also listens on another port of the same address, with the same routes; returns that port. */
    int listenAlso() throws InterruptedException {
        InetSocketAddress first = (InetSocketAddress) server.localAddress();
        Channel ch = bootstrap.bind(new InetSocketAddress(first.getAddress(), 0)).sync().channel();
        moreServers.add(ch);
        return ((InetSocketAddress) ch.localAddress()).getPort();
    }

    @Override
    public void close() {
        moreServers.forEach(ch -> ch.close().syncUninterruptibly());
        server.close().syncUninterruptibly();
        group.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
    }

    private final class Routes extends ChannelInboundHandlerAdapter {
        private final int connection;
        private String route;
        private long received;
        private boolean keepAlive;
        private long toSend;
        private int served;

        /** The request's trailers, as "trailer name: value" lines. */
        private final StringBuilder trailers = new StringBuilder();

        Routes(int connection) {
            this.connection = connection;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            try {
                if (msg instanceof HttpRequest req) {
                    onHead(ctx, req);
                }
                if (msg instanceof HttpContent c) {
                    received += c.content().readableBytes();
                    if ("/echo".equals(route) && c.content().isReadable()) {
                        ctx.write(new DefaultHttpContent(c.content().retain()));
                    }
                    if (c instanceof LastHttpContent last) {
                        last.trailingHeaders().forEach(t -> trailers.append("trailer ").append(t.getKey().toLowerCase())
                                .append(": ").append(t.getValue()).append('\n'));
                        onBodyEnd(ctx);
                    }
                }
            } finally {
                ReferenceCountUtil.release(msg);
            }
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) {
            ctx.flush();
        }

        private void onHead(ChannelHandlerContext ctx, HttpRequest req) {
            QueryStringDecoder q = new QueryStringDecoder(req.uri());
            route = q.path();
            if (route.equals("/flaky") && served++ > 0) {
                // Keep-alive race: the origin closes an idle connection just as a request arrives on it.
                ctx.close();
                return;
            }
            received = 0;
            trailers.setLength(0);
            keepAlive = HttpUtil.isKeepAlive(req);
            switch (route) {
                case "/hello" -> {
                    FullHttpResponse r = text(HttpResponseStatus.CREATED, "hello world");
                    r.headers().set("x-origin", "yes").set("cf-link-sneaky", "1").add("set-cookie", "a=1").add("set-cookie", "b=2");
                    send(ctx, r);
                }
                case "/chunked" -> {
                    HttpResponse r = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
                    HttpUtil.setTransferEncodingChunked(r, true);
                    ctx.write(r);
                    for (String s : new String[] {"alpha,", "beta,", "gamma"}) {
                        ctx.write(new DefaultHttpContent(Unpooled.copiedBuffer(s, StandardCharsets.UTF_8)));
                    }
                    ctx.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT);
                }
                case "/headers" -> {
                    StringBuilder sb = new StringBuilder();
                    req.headers().forEach(e -> sb.append(e.getKey().toLowerCase()).append(": ").append(e.getValue()).append('\n'));
                    sb.append("uri: ").append(req.uri()).append('\n').append("method: ").append(req.method()).append('\n');
                    // answered when the body ended
                    ctx.channel().attr(io.netty.util.AttributeKey.<String>valueOf("h")).set(sb.toString());
                }
                case "/conn" -> send(ctx, text(HttpResponseStatus.OK, Integer.toString(connection)));
                case "/keep-1s" -> { // as node's server says it (it then closes after 5 s idle; this one never does)
                    FullHttpResponse r = text(HttpResponseStatus.OK, Integer.toString(connection));
                    r.headers().set(HttpHeaderNames.KEEP_ALIVE, "timeout=1");
                    send(ctx, r);
                }
                case "/flaky" -> { }
                case "/upload-stall" -> {
                    ctx.channel().config().setAutoRead(false);
                    ctx.channel().eventLoop().schedule(() -> ctx.channel().config().setAutoRead(true), 1500, TimeUnit.MILLISECONDS);
                }
                case "/close-soon" -> {
                    send(ctx, text(HttpResponseStatus.OK, Integer.toString(connection)));
                    ctx.channel().eventLoop().schedule(() -> ctx.close(), 100, TimeUnit.MILLISECONDS);
                }
                case "/download" -> {
                    toSend = Long.parseLong(q.parameters().get("bytes").get(0));
                    HttpResponse r = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
                    HttpUtil.setContentLength(r, toSend);
                    ctx.write(r);
                    writeMore(ctx);
                }
                case "/echo" -> {
                    HttpResponse r = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
                    HttpUtil.setTransferEncodingChunked(r, true);
                    ctx.write(r);
                }
                case "/die" -> {
                    HttpResponse r = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
                    HttpUtil.setContentLength(r, 1_000_000);
                    ctx.write(r);
                    ctx.writeAndFlush(new DefaultHttpContent(ZEROS.retainedSlice(0, 10_000)))
                            .addListener(f -> ctx.channel().eventLoop().schedule(() -> ctx.close(), 50, TimeUnit.MILLISECONDS));
                }
                case "/upgrade" -> {
                    // Switches protocols whatever the request said, then says nothing more on the connection.
                    FullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.SWITCHING_PROTOCOLS);
                    r.headers().set(HttpHeaderNames.UPGRADE, "tunnel-test/1").set(HttpHeaderNames.CONNECTION, "upgrade");
                    ctx.writeAndFlush(r);
                    ctx.channel().closeFuture().addListener(f -> upgradeClosed.countDown());
                }
                case "/hang" -> {
                    HttpResponse r = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
                    HttpUtil.setTransferEncodingChunked(r, true);
                    ctx.write(r);
                    ctx.writeAndFlush(new DefaultHttpContent(Unpooled.copiedBuffer("partial", StandardCharsets.UTF_8)));
                    ctx.channel().closeFuture().addListener(f -> hangClosed.countDown());
                }
                default -> { }
            }
        }

        private void onBodyEnd(ChannelHandlerContext ctx) {
            switch (route) {
                case "/flaky" -> send(ctx, text(HttpResponseStatus.OK, Integer.toString(connection)));
                case "/upload", "/upload-stall" -> {
                    uploaded.set(received);
                    send(ctx, text(HttpResponseStatus.OK, Long.toString(received)));
                }
                case "/headers" -> send(ctx, text(HttpResponseStatus.OK,
                        ctx.channel().attr(io.netty.util.AttributeKey.<String>valueOf("h")).get() + trailers + "body-bytes: " + received + "\n"));
                case "/echo" -> ctx.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT);
                case "/hello", "/chunked", "/conn", "/keep-1s", "/close-soon", "/download", "/die", "/hang", "/upgrade" -> { }
                default -> send(ctx, text(HttpResponseStatus.NOT_FOUND, "no route " + route));
            }
        }

        private void writeMore(ChannelHandlerContext ctx) {
            while (toSend > 0 && ctx.channel().isWritable()) {
                int n = (int) Math.min(toSend, ZEROS.capacity());
                toSend -= n;
                downloadSent.addAndGet(n);
                ctx.write(new DefaultHttpContent(ZEROS.retainedSlice(0, n)));
            }
            if (toSend == 0) {
                toSend = -1;
                ctx.write(LastHttpContent.EMPTY_LAST_CONTENT);
            }
            ctx.flush();
        }

        @Override
        public void channelWritabilityChanged(ChannelHandlerContext ctx) {
            if (ctx.channel().isWritable() && toSend > 0) {
                writeMore(ctx);
            }
        }

        private FullHttpResponse text(HttpResponseStatus status, String body) {
            FullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status,
                    Unpooled.copiedBuffer(body, StandardCharsets.UTF_8));
            HttpUtil.setContentLength(r, r.content().readableBytes());
            return r;
        }

        private void send(ChannelHandlerContext ctx, FullHttpResponse r) {
            if (!keepAlive) {
                r.headers().set(HttpHeaderNames.CONNECTION, "close");
                ctx.writeAndFlush(r).addListener(ChannelFutureListener.CLOSE);
            } else {
                ctx.writeAndFlush(r);
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }

    static Map<String, String> parseHeaders(String text) {
        Map<String, String> m = new ConcurrentHashMap<>();
        for (String line : text.split("\n")) {
            int i = line.indexOf(": ");
            if (i > 0) {
                m.merge(line.substring(0, i), line.substring(i + 2), (a, b) -> a + "," + b);
            }
        }
        return m;
    }
}
