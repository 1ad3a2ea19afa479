package dev.vpctunnel.edge.gateway;

import dev.vpctunnel.core.net.Transports;
import dev.vpctunnel.edge.directory.DirectorySnapshot;
import dev.vpctunnel.edge.link.TunnelRouter;
import dev.vpctunnel.edge.metrics.EdgeMetrics;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.handler.codec.http2.DefaultHttp2GoAwayFrame;
import io.netty.handler.codec.http2.Http2Error;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.function.Supplier;

/** The worker gateway listener: HTTP/1.1 and h2c (prior knowledge) on one port. */
public final class GatewayServer implements AutoCloseable {
    private final Channel channel;
    private final GatewayContext context;

    private GatewayServer(Channel channel, GatewayContext context) {
        this.channel = channel;
        this.context = context;
    }

    public static GatewayServer start(InetSocketAddress bind, EventLoopGroup group, Supplier<DirectorySnapshot> directory,
                                      TunnelRouter links, EdgeMetrics metrics, Duration connectTimeout, Duration tlsTimeout)
            throws InterruptedException {
        GatewayContext ctx = new GatewayContext(directory, links,
                new FetchRouter((int) connectTimeout.toMillis(), (int) tlsTimeout.toMillis()), metrics);
        Channel ch = dev.vpctunnel.core.net.AcceptFailures.install(new ServerBootstrap().group(group).channel(Transports.server())
                .option(ChannelOption.SO_BACKLOG, 4096)
                .childOption(ChannelOption.AUTO_READ, false)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childHandler(new GatewayInitializer(ctx))
                .bind(bind).sync().channel());
        metrics.gatewayGauges(ctx.connections()::open, ctx.connections().max()); // once bound: a failed bind registers nothing
        return new GatewayServer(ch, ctx);
    }

    public int port() {
        return ((InetSocketAddress) channel.localAddress()).getPort();
    }

    /** How many worker connections it holds at most (see {@link ConnectionLimit}). */
    public int maxConnections() {
        return context.connections().max();
    }

    ConnectionLimit connections() {
        return context.connections();
    }

    /**
     * Stops accepting new worker connections; an HTTP/1.1 connection already open gets Connection: close on its next
     * response and is closed after it, so its client reconnects (to another edge) instead of reusing a draining one.
     * An h2c connection gets GOAWAY(NO_ERROR) at once, so the worker opens no new stream on it (and retries elsewhere)
     * while the streams in flight finish; the connection itself ends with the edge.
     */
    @Override
    public void close() {
        context.closing().set(true);
        channel.close().syncUninterruptibly();
        context.h2cConnections().writeAndFlush(new DefaultHttp2GoAwayFrame(Http2Error.NO_ERROR));
    }
}
