package dev.vpctunnel.edge.link;

import dev.vpctunnel.core.net.OncePer;
import dev.vpctunnel.core.net.Transports;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.Logger;

/** The tunnel listener: accepts connector links, keeps the router of registered links, drains them on shutdown. */
public final class TunnelServer {
    private static final Logger LOG = Logger.getLogger(TunnelServer.class.getName());
    private final EdgeLinkConfig config;
    private final TunnelAuthority authority;
    private final TunnelRouter router = new TunnelRouter();
    private final Set<EdgeLinkSession> sessions = ConcurrentHashMap.newKeySet();
    private final AtomicInteger unregistered = new AtomicInteger();
    /** The sockets {@link #unregistered} counts, oldest first. */
    private final Queue<Unregistered> waiting = new ConcurrentLinkedQueue<>();
    /** The line about evicted sockets at most once a minute. */
    private static final OncePer EVICTED = new OncePer(TimeUnit.MINUTES.toNanos(1));
    private final EventLoopGroup group;
    private Channel serverChannel;
    private volatile boolean draining;

    public TunnelServer(EdgeLinkConfig config, TunnelAuthority authority, EventLoopGroup group) {
        this.config = config;
        this.authority = authority;
        this.group = group;
    }

    public TunnelServer bind(InetSocketAddress address) throws InterruptedException {
        serverChannel = new ServerBootstrap().group(group).channel(Transports.server())
                .option(ChannelOption.SO_BACKLOG, 1024)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childOption(ChannelOption.SO_KEEPALIVE, true)
                .childHandler(new EdgeLinkInitializer(config, this))
                .bind(address).sync().channel();
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

    /**
     * Counts an accepted socket until it registers or closes. Past {@link EdgeLinkConfig#maxUnregistered()} such
     * sockets the oldest is closed: a connector registers within milliseconds of connecting, so only a flood that
     * outpaces that (or sockets that never register) loses anything, and a flood of idle sockets can neither take the
     * edge's memory nor keep connectors out.
     */
    Unregistered admit(Channel socket) {
        Unregistered u = new Unregistered(socket);
        waiting.add(u);
        socket.closeFuture().addListener(f -> u.done());
        if (unregistered.incrementAndGet() > config.maxUnregistered()) {
            for (Unregistered oldest; (oldest = waiting.poll()) != null; ) {
                if (oldest.counted.get() && oldest != u) {
                    Channel gone = oldest.socket;
                    if (EVICTED.now()) {
                        LOG.info(() -> "tunnel port: " + config.maxUnregistered() + " sockets have not registered yet,"
                                + " the most this edge holds: closing the oldest ones (" + gone.remoteAddress()
                                + " and others) as new ones come");
                    }
                    gone.close();
                    break;
                }
            }
        }
        return u;
    }

    /** Accepted sockets that have not registered yet. */
    public int unregistered() {
        return unregistered.get();
    }

    /** One accepted socket, counted until it registered or closed (whichever comes first). */
    final class Unregistered {
        private final Channel socket;
        private final AtomicBoolean counted = new AtomicBoolean(true);

        Unregistered(Channel socket) {
            this.socket = socket;
        }

        void done() {
            if (counted.compareAndSet(true, false)) {
                unregistered.decrementAndGet();
                waiting.remove(this); // a few hundred at most
            }
        }
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
