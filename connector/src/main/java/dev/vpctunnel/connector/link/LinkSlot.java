package dev.vpctunnel.connector.link;

import dev.vpctunnel.core.link.LinkCloseReason;
import dev.vpctunnel.core.net.Backoff;
import dev.vpctunnel.core.net.Transports;
import dev.vpctunnel.proto.ConnectorFrame;
import dev.vpctunnel.proto.Drain;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.handler.codec.http2.DefaultHttp2GoAwayFrame;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.resolver.AddressResolverGroup;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import java.util.logging.Logger;

/**
 * One of the connector's N links: dials, registers, reconnects with backoff, drains. Link i first dials edge
 * i mod n; an attempt that ends without a registration (the edge cannot be reached, the TLS handshake fails, the
 * link closes or is refused before registering) moves the link to the next edge in the list for its next attempt,
 * so a dead edge does not hold links down while others are up. A registered link that later drops dials the same
 * edge again first.
 */
final class LinkSlot {
    private static final Logger LOG = Logger.getLogger(LinkSlot.class.getName());
    private static final Duration EDGE_DRAIN_LIMIT = Duration.ofSeconds(60);
    private final int index;
    private final LinkConfig config;
    private final EventLoopGroup group;
    private final Supplier<ChannelHandler> fetchHandlers;
    private final LinkSupervisor supervisor;
    private final Backoff backoff = Backoff.standard();
    private final AddressResolverGroup<InetSocketAddress> resolver;
    private final AtomicInteger activeStreams = new AtomicInteger();
    private volatile Channel channel;
    private volatile Channel control;
    private volatile boolean registered;
    private volatile boolean draining;
    private volatile boolean closeWhenIdle;
    private volatile boolean stopped;
    /** Which of config.edges() the next attempt dials. */
    private volatile int edgeIndex;
    /** What the edge's last retryable refusal asked us to wait before the next attempt. */
    private volatile Duration retryAfter = Duration.ZERO;

    LinkSlot(int index, LinkConfig config, EventLoopGroup group, Supplier<ChannelHandler> fetchHandlers,
             LinkSupervisor supervisor, AddressResolverGroup<InetSocketAddress> resolver) {
        this.index = index;
        this.resolver = resolver;
        this.config = config;
        this.group = group;
        this.fetchHandlers = fetchHandlers;
        this.supervisor = supervisor;
        this.edgeIndex = config.edgeIndexFor(index);
    }

    void start() {
        connect();
    }

    private void connect() {
        if (stopped) {
            return;
        }
        InetSocketAddress edge = edge();
        draining = false;
        closeWhenIdle = false;
        ChannelFuture f = new Bootstrap().group(group).channel(Transports.socket()).resolver(resolver)
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.SO_KEEPALIVE, true)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) config.connectTimeout().toMillis())
                .handler(new ConnectorLinkInitializer(this, edge))
                .connect(edge.getHostString(), edge.getPort());
        channel = f.channel();
        f.addListener((ChannelFuture c) -> {
            if (!c.isSuccess()) {
                LOG.warning(() -> this + ": cannot reach edge " + LinkConfig.hostPort(edge) + ": " + c.cause().getMessage());
                nextEdge();
                scheduleReconnect(Duration.ZERO);
            } else {
                c.channel().closeFuture().addListener(x -> closed(LinkCloseReason.of(c.channel())));
            }
        });
    }

    /** {@code why}: {@link LinkCloseReason#of}, "" or " (GOAWAY received: ...)". */
    private void closed(String why) {
        boolean was = registered;
        registered = false;
        control = null;
        if (stopped) {
            if (was) {
                LOG.info(() -> this + " closed" + why);
            }
            return;
        }
        if (was) {
            LOG.warning(() -> this + " down" + why + ", reconnecting");
        } else {
            nextEdge(); // the handshake failed, or the edge closed or refused the link before registering it
        }
        Duration wait = retryAfter;
        retryAfter = Duration.ZERO;
        scheduleReconnect(wait);
    }

    private InetSocketAddress edge() {
        return config.edges().get(edgeIndex);
    }

    /** The next attempt dials the next edge in the list (the same one when there is only one). */
    private void nextEdge() {
        int next = config.edgeAfter(edgeIndex);
        if (next != edgeIndex) {
            edgeIndex = next;
            LOG.fine(() -> this + ": next attempt goes to edge " + LinkConfig.hostPort(edge()));
        }
    }

    private void scheduleReconnect(Duration atLeast) {
        if (stopped) {
            return;
        }
        Duration wait = backoff.next();
        if (wait.compareTo(atLeast) < 0) {
            wait = atLeast;
        }
        Duration w = wait;
        LOG.fine(() -> this + ": next attempt in " + w.toMillis() + " ms");
        group.schedule(this::connect, wait.toMillis(), TimeUnit.MILLISECONDS);
    }

    // ---- called from the link's event loop ----

    void controlOpened(Channel controlStream) {
        control = controlStream;
    }

    void registeredWith(String edgeId) {
        registered = true;
        backoff.reset();
        LOG.info(() -> this + " registered with edge " + edgeId + " at " + LinkConfig.hostPort(edge()));
    }

    void refused(boolean permanent, String message, int retryAfterMs) {
        if (permanent) {
            LOG.severe(() -> this + ": registration refused (permanent, not retrying): " + message);
            supervisor.permanent(message);
        } else {
            retryAfter = Duration.ofMillis(Math.min(Math.max(0, retryAfterMs), 300_000)); // capped at 5 min
            LOG.warning(() -> this + ": registration refused (retryable" + (retryAfterMs > 0 ? ", edge asks to wait "
                    + retryAfterMs + " ms" : "") + "): " + message);
            Channel ch = channel;
            if (ch != null) {
                ch.close();
            }
        }
    }

    /** The edge asks this link to drain (it is shutting down): GOAWAY, finish in-flight streams, then reconnect. */
    void edgeDraining(String reason) {
        LOG.info(() -> this + ": edge asks to drain (" + reason + ")");
        Channel ch = channel;
        if (ch == null) {
            return;
        }
        draining = true;
        closeWhenIdle = true;
        ch.writeAndFlush(new DefaultHttp2GoAwayFrame(Http2Error.NO_ERROR));
        closeIfIdle();
        ch.eventLoop().schedule(() -> ch.close(), EDGE_DRAIN_LIMIT.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** Connector shutdown: tell the edge, stop taking streams; the supervisor closes the link after the grace. */
    void beginDrain() {
        draining = true;
        Channel ch = channel;
        Channel ctl = control;
        if (ch == null || !ch.isActive()) {
            stopped = true;
            return;
        }
        ch.eventLoop().execute(() -> {
            if (ctl != null && ctl.isActive()) {
                ConnectorFrame f = ConnectorFrame.newBuilder().setDrain(Drain.newBuilder().setReason("connector shutting down")).build();
                ConnectorControlStream.send(ctl, f);
            }
            ch.writeAndFlush(new DefaultHttp2GoAwayFrame(Http2Error.NO_ERROR));
        });
    }

    boolean acceptsFetches() {
        return registered && !draining;
    }

    void fetchOpened(Channel stream) {
        activeStreams.incrementAndGet();
        stream.closeFuture().addListener(f -> {
            activeStreams.decrementAndGet();
            closeIfIdle();
        });
    }

    private void closeIfIdle() {
        Channel ch = channel;
        if (closeWhenIdle && activeStreams.get() == 0 && ch != null) {
            ch.close();
        }
    }

    /** Closes the link for good; a GOAWAY first tells the edge that streams it opens from now on were never seen. */
    void stop() {
        stopped = true;
        draining = true; // streams arriving from now on are refused, so the edge may retry them elsewhere
        Channel ch = channel;
        if (ch != null) {
            if (ch.isActive() && registered) {
                ch.writeAndFlush(new DefaultHttp2GoAwayFrame(Http2Error.NO_ERROR)).addListener(f -> ch.close());
            } else {
                ch.close();
            }
        }
    }

    boolean registered() {
        return registered;
    }

    /** The link is being closed for good (connector shutdown or a permanent refusal). */
    boolean stopping() {
        return stopped;
    }

    int activeStreams() {
        return activeStreams.get();
    }

    int index() {
        return index;
    }

    LinkConfig config() {
        return config;
    }

    ChannelHandler newFetchHandler() {
        return fetchHandlers.get();
    }

    @Override
    public String toString() {
        return "link #" + index;
    }
}
