package dev.vpctunnel.edge.api;

import dev.vpctunnel.core.net.Transports;
import dev.vpctunnel.edge.directory.Directory;
import dev.vpctunnel.edge.routing.LinkRegistry;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;

/** The admin REST API: HTTP/1.1 with keep-alive on its own small event loop; JDBC work on the blocking executor. */
public final class AdminApiServer implements AutoCloseable {
    private final EventLoopGroup group;
    private final Channel channel;

    private AdminApiServer(EventLoopGroup group, Channel channel) {
        this.group = group;
        this.channel = channel;
    }

    public static AdminApiServer start(InetSocketAddress bind, Directory directory, LinkRegistry links,
                                       ExecutorService blockingExecutor) throws InterruptedException {
        return start(bind, directory, links, blockingExecutor, ApiInitializer.REQUEST_TIMEOUT, ApiInitializer.MAX_CONNECTIONS);
    }

    /** As above, with the time a request (head and body) may take to arrive and the connections served; tests lower them. */
    static AdminApiServer start(InetSocketAddress bind, Directory directory, LinkRegistry links,
                                ExecutorService blockingExecutor, Duration requestTimeout, int maxConnections)
            throws InterruptedException {
        EventLoopGroup group = Transports.group(1, "api");
        try {
            ApiRouter router = new ApiRouter(directory, links == null ? LinkRegistry.NONE : links);
            Channel ch = dev.vpctunnel.core.net.AcceptFailures.install(new ServerBootstrap()
                    .group(group)
                    .channel(Transports.server())
                    .option(ChannelOption.SO_BACKLOG, 128)
                    .childHandler(new ApiInitializer(router, blockingExecutor, requestTimeout, maxConnections))
                    .bind(bind.isUnresolved() ? new InetSocketAddress(bind.getHostString(), bind.getPort()) : bind)
                    .sync()
                    .channel());
            return new AdminApiServer(group, ch);
        } catch (InterruptedException | RuntimeException e) {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
            throw e;
        }
    }

    /** The bound port (useful with port 0). */
    public int port() {
        return ((InetSocketAddress) channel.localAddress()).getPort();
    }

    public InetSocketAddress localAddress() {
        return (InetSocketAddress) channel.localAddress();
    }

    @Override
    public void close() {
        channel.close().syncUninterruptibly();
        group.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
    }
}
