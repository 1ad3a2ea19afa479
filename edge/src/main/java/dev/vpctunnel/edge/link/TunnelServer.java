package dev.vpctunnel.edge.link;

import dev.vpctunnel.core.net.Transports;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.logging.Logger;

/** The tunnel listener: accepts connector links, keeps the router of registered links, drains them on shutdown. */
public final class TunnelServer {
    private static final Logger LOG = Logger.getLogger(TunnelServer.class.getName());
    private final EdgeLinkConfig config;
    private final TunnelAuthority authority;
    private final TunnelRouter router = new TunnelRouter();
    private final Set<EdgeLinkSession> sessions = ConcurrentHashMap.newKeySet();
    private final UnregisteredSockets unregistered;
    private final EventLoopGroup group;
    private Channel serverChannel;
    private volatile boolean draining;

    public TunnelServer(EdgeLinkConfig config, TunnelAuthority authority, EventLoopGroup group) {
        this.config = config;
        this.authority = authority;
        this.group = group;
        this.unregistered = new UnregisteredSockets(config.maxUnregistered(), config.maxUnregisteredPerSource());
    }

    public TunnelServer bind(InetSocketAddress address) throws InterruptedException {
        serverChannel = dev.vpctunnel.core.net.AcceptFailures.install(new ServerBootstrap().group(group).channel(Transports.server())
                .option(ChannelOption.SO_BACKLOG, 1024)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childOption(ChannelOption.SO_KEEPALIVE, true)
                .childHandler(new EdgeLinkInitializer(config, this))
                .bind(address).sync().channel());
        return this;
    }

    public int port() {
        return ((InetSocketAddress) serverChannel.localAddress()).getPort();
    }

    public TunnelRouter router() {
        return router;
    }

    TunnelAuthority authority() {
        return authority;
    }

    boolean draining() {
        return draining;
    }

    /** Counts an accepted socket until it registers or closes ({@link UnregisteredSockets}). */
    UnregisteredSockets.Socket admit(Channel socket) {
        return unregistered.admit(socket);
    }

    /** Accepted sockets that have not registered yet. */
    public int unregistered() {
        return unregistered.count();
    }

    void sessionOpened(EdgeLinkSession s) {
        sessions.add(s);
    }

    void sessionClosed(EdgeLinkSession s) {
        sessions.remove(s);
    }

    /**
     * Stops accepting, asks every link to drain, waits until the connectors closed them or {@code grace} passed,
     * then closes whatever is left. Blocks the calling thread (never call it on an event loop).
     */
    public void drain(Duration grace) throws InterruptedException {
        draining = true;
        if (serverChannel != null) {
            serverChannel.close().sync();
        }
        LOG.info(() -> "draining " + sessions.size() + " tunnel links (grace " + grace.toSeconds() + " s)");
        for (EdgeLinkSession s : sessions) {
            s.drain("edge is shutting down");
        }
        long deadline = System.nanoTime() + grace.toNanos();
        while (!sessions.isEmpty() && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        for (EdgeLinkSession s : sessions) {
            s.channel().close();
        }
    }

    public void close() {
        draining = true;
        if (serverChannel != null) {
            serverChannel.close();
        }
        for (EdgeLinkSession s : sessions) {
            s.channel().close();
        }
    }
}
