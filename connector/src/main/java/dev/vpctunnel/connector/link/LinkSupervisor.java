package dev.vpctunnel.connector.link;

import io.netty.channel.ChannelHandler;
import io.netty.channel.EventLoopGroup;
import io.netty.resolver.AddressResolver;
import io.netty.resolver.AddressResolverGroup;
import io.netty.resolver.DefaultNameResolver;
import io.netty.util.concurrent.DefaultEventExecutor;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.EventExecutor;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;
import java.util.logging.Logger;

/** Keeps the connector's N links up; reports a permanent failure; drains them all on shutdown. */
public final class LinkSupervisor {
    private static final Logger LOG = Logger.getLogger(LinkSupervisor.class.getName());
    private final LinkConfig config;
    /** Slot i holds link i; a link that moves back to its own edge puts a new slot in its place (read from any thread). */
    private final List<LinkSlot> slots = new CopyOnWriteArrayList<>();
    /** Slots whose links drain after a new link of theirs registered with its own edge; gone once closed. */
    private final Set<LinkSlot> retiring = ConcurrentHashMap.newKeySet();
    private volatile boolean draining;
    private volatile boolean stopping;
    private final CompletableFuture<String> permanentFailure = new CompletableFuture<>();
    /** An edge's certificate is near its end: said at most once a day per edge (see ConnectorLinkInitializer). */
    private final dev.vpctunnel.core.net.OncePerKey certificateWarnings =
            new dev.vpctunnel.core.net.OncePerKey(java.util.concurrent.TimeUnit.DAYS.toNanos(1), Integer.MAX_VALUE); // keys: the edges given
    /**
     * Edge host names are resolved by the system resolver (hosts file, nsswitch, DNS) on a thread of their own: it
     * blocks, and on an event loop a slow or dead DNS server would stall every origin fetch that loop carries.
     */
    private final DefaultEventExecutor resolverThread = new DefaultEventExecutor(new DefaultThreadFactory("edge-resolver", true));
    private final AddressResolverGroup<InetSocketAddress> edgeResolver;

    public LinkSupervisor(LinkConfig config, EventLoopGroup group, Supplier<ChannelHandler> fetchHandlers) {
        this(config, group, fetchHandlers, null);
    }

    /** With {@code resolver} for the edges' names instead of the system's (tests). */
    LinkSupervisor(LinkConfig config, EventLoopGroup group, Supplier<ChannelHandler> fetchHandlers,
                   AddressResolverGroup<InetSocketAddress> resolver) {
        this.config = config;
        this.edgeResolver = resolver != null ? resolver : new AddressResolverGroup<>() {
            @Override
            protected AddressResolver<InetSocketAddress> newResolver(EventExecutor loop) {
                return new DefaultNameResolver(resolverThread).asAddressResolver();
            }
        };
        EdgeAddresses addresses = new EdgeAddresses(edgeResolver, resolverThread, config.edges(), config.haConnections());
        for (int i = 0; i < config.haConnections(); i++) {
            slots.add(new LinkSlot(i, config, group, fetchHandlers, this, new EdgeCursor(config, i, addresses)));
        }
    }

    public void start() {
        if (config.haConnections() < config.edges().size()) { // edges do not pass fetches to each other
            LOG.warning(() -> "--ha-connections " + config.haConnections() + " is fewer than the " + config.edges().size()
                    + " edges given: an edge without a link of this tunnel answers its fetches no_connector (give at"
                    + " least " + config.edges().size() + ")");
        }
        LOG.info(() -> "connector " + config.connectorId() + " (version " + config.version() + ") starting "
                + config.haConnections() + (config.haConnections() == 1 ? " link to " : " links to ") + config.edges().stream().map(LinkConfig::hostPort).toList() + " for tunnel " + config.token().tunnelId());
        slots.forEach(LinkSlot::start);
    }

    /** Completes with the reason when an edge refused the registration permanently (bad secret, unknown tunnel). */
    public CompletableFuture<String> permanentFailure() {
        return permanentFailure;
    }

    void permanent(String message) {
        if (permanentFailure.complete(message)) {
            stopAll();
        }
    }

    private void stopAll() {
        stopping = true;
        slots.forEach(LinkSlot::stop);
        retiring.forEach(LinkSlot::stop);
        edgeResolver.close();
        resolverThread.shutdownGracefully(0, 1, java.util.concurrent.TimeUnit.SECONDS);
    }

    /** Whether a warning about {@code edge}'s certificate may go out now (once a day per edge). */
    boolean certificateWarningDue(String edge) {
        return certificateWarnings.of(edge).now();
    }

    /** The resolver group the links dial with (tests check where it resolves). */
    AddressResolverGroup<InetSocketAddress> edgeResolver() {
        return edgeResolver;
    }

    public String connectorId() {
        return config.connectorId();
    }

    /** Links registered right now. */
    public int registeredLinks() {
        return (int) slots.stream().filter(LinkSlot::registered).count();
    }

    /** Links that take new fetches: registered and not draining (the connector's or the edge's shutdown). */
    public int servingLinks() {
        return (int) slots.stream().filter(LinkSlot::serving).count();
    }

    /**
     * Links that take a fetch stream the edge opens now: the registered ones, and during a drain those whose edge has
     * not acknowledged the drain notice yet (see {@link LinkSlot#beginDrain}).
     */
    public int acceptingLinks() {
        return (int) slots.stream().filter(LinkSlot::acceptsFetches).count();
    }

    public int activeStreams() {
        return slots.stream().mapToInt(s -> s.fetches().open()).sum()
                + retiring.stream().mapToInt(s -> s.fetches().open()).sum();
    }

    /**
     * {@code now}, registered with its own edge, takes {@code old}'s place, whose link then drains; false if the
     * connector stops. Checked after the swap as well: a drain or stop that ran through the slots meanwhile missed it.
     */
    boolean replace(LinkSlot old, LinkSlot now) {
        int i = slots.indexOf(old);
        if (i < 0 || stopping) {
            return false;
        }
        retiring.add(old);
        slots.set(i, now);
        if (stopping) {
            now.stop();
        } else if (draining) {
            now.beginDrain();
        }
        return true;
    }

    void retired(LinkSlot s) {
        retiring.remove(s);
    }

    /**
     * Graceful drain: every link tells its edge (control message + GOAWAY), in-flight streams get up to
     * {@code grace} to finish, then the links close. Blocks the calling thread.
     */
    public void drain(Duration grace) throws InterruptedException {
        LOG.info(() -> "draining " + registeredLinks() + " links, " + activeStreams() + " streams in flight (grace "
                + grace.toSeconds() + " s)");
        draining = true;
        slots.forEach(LinkSlot::beginDrain);
        long deadline = System.nanoTime() + grace.toNanos();
        // streams the edge opened before it read the notice still arrive and are served: a link refuses streams once
        // its notice is answered (FetchGate.noticeAnswered, within LinkClose's wait); one counted before is waited for
        while ((activeStreams() > 0 || slots.stream().anyMatch(s -> s.fetches().noticePending()))
                && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        int left = activeStreams();
        if (left > 0) {
            LOG.warning(() -> "grace period over, cutting " + left + " streams");
        }
        stopAll();
        long open = awaitClosed();
        LOG.info(() -> open == 0 ? "drained, all links closed" : "drained, " + open + " links still closing");
    }

    public void stop() {
        stopAll();
    }

    /**
     * After {@link #stop} or a drain: waits until every link closed, at most as long as a link's close may take (the
     * edge acknowledging a last PING, {@link LinkClose}); how many are still open. Blocks: not on an event loop.
     */
    public long awaitClosed() throws InterruptedException {
        long deadline = System.nanoTime() + LinkClose.ackWait().toNanos() + 500_000_000L;
        while (openLinks() > 0 && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        return openLinks();
    }

    private long openLinks() {
        return slots.stream().filter(s -> !s.linkClosed()).count() + retiring.stream().filter(s -> !s.linkClosed()).count();
    }
}
