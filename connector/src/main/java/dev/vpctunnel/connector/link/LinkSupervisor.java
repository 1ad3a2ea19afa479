package dev.vpctunnel.connector.link;

import io.netty.channel.ChannelHandler;
import io.netty.channel.EventLoopGroup;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;
import java.util.logging.Logger;

/** Keeps the connector's N links up; reports a permanent failure; drains them all on shutdown. */
public final class LinkSupervisor {
    private static final Logger LOG = Logger.getLogger(LinkSupervisor.class.getName());
    private final LinkConfig config;
    private final List<LinkSlot> slots = new ArrayList<>();
    private final CompletableFuture<String> permanentFailure = new CompletableFuture<>();

    public LinkSupervisor(LinkConfig config, EventLoopGroup group, Supplier<ChannelHandler> fetchHandlers) {
        this.config = config;
        for (int i = 0; i < config.haConnections(); i++) {
            slots.add(new LinkSlot(i, config, group, fetchHandlers, this));
        }
    }

    public void start() {
        LOG.info(() -> "connector " + config.connectorId() + " (version " + config.version() + ") starting "
                + config.haConnections() + " links to " + config.edges().stream().map(LinkConfig::hostPort).toList() + " for tunnel " + config.token().tunnelId());
        slots.forEach(LinkSlot::start);
    }

    /** Completes with the reason when an edge refused the registration permanently (bad secret, unknown tunnel). */
    public CompletableFuture<String> permanentFailure() {
        return permanentFailure;
    }

    void permanent(String message) {
        if (permanentFailure.complete(message)) {
            slots.forEach(LinkSlot::stop);
        }
    }

    public String connectorId() {
        return config.connectorId();
    }

    /** Links registered right now. */
    public int registeredLinks() {
        return (int) slots.stream().filter(LinkSlot::registered).count();
    }

    public int activeStreams() {
        return slots.stream().mapToInt(LinkSlot::activeStreams).sum();
    }

    /**
     * Graceful drain: every link tells its edge (control message + GOAWAY), in-flight streams get up to
     * {@code grace} to finish, then the links close. Blocks the calling thread.
     */
    public void drain(Duration grace) throws InterruptedException {
        LOG.info(() -> "draining " + registeredLinks() + " links, " + activeStreams() + " streams in flight (grace "
                + grace.toSeconds() + " s)");
        slots.forEach(LinkSlot::beginDrain);
        long deadline = System.nanoTime() + grace.toNanos();
        while (activeStreams() > 0 && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        int left = activeStreams();
        if (left > 0) {
            LOG.warning(() -> "grace period over, cutting " + left + " streams");
        }
        slots.forEach(LinkSlot::stop);
        LOG.info("drained, all links closed");
    }

    public void stop() {
        slots.forEach(LinkSlot::stop);
    }
}
