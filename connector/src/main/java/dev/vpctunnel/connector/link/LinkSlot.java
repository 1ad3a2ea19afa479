package dev.vpctunnel.connector.link;

import dev.vpctunnel.core.link.LinkCloseReason;
import dev.vpctunnel.core.net.Backoff;
import dev.vpctunnel.core.net.NativeErrors;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandler;
import io.netty.channel.EventLoopGroup;
import io.netty.util.concurrent.Future;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * One of the connector's N links: dials, registers, reconnects with backoff, drains. Link i first dials edge i mod n;
 * an attempt that ends without a registration (no connection, a failed handshake, a refusal) moves the link to the
 * next edge in the list (and {@link EdgeAddresses address}), so a dead edge holds no link down while others are up.
 * A registered link that later drops dials the same edge again first.
 *
 * <p>A link registered away from its own edge (link i's is edge i mod n) moves back through {@link LinkFailback}: a
 * probe, another LinkSlot of the same index, registers there first and then takes this slot's place.
 */
final class LinkSlot {
    private static final Logger LOG = Logger.getLogger(LinkSlot.class.getName());
    private static final Duration EDGE_DRAIN_LIMIT = Duration.ofSeconds(60);
    private final int index;
    private final LinkConfig config;
    private final EventLoopGroup group;
    private final Supplier<ChannelHandler> fetchHandlers;
    private final LinkSupervisor supervisor;
    private final LinkBackoff backoff = new LinkBackoff(Backoff.standard());
    private final FetchGate fetches = new FetchGate(this::closeIfIdle);
    private volatile Channel channel;
    private volatile Channel control;
    private volatile boolean registered;
    private volatile boolean draining;
    private volatile boolean closeWhenIdle;
    private volatile boolean stopped;
    /** Which edge and address the next attempt dials; the last one dialed. */
    private final EdgeCursor cursor;
    /** Set while this slot is a probe: the slot it replaces once it registers (with its own edge, or renewal's). */
    private volatile LinkSlot replacing;
    /** A probe to the parent's edge, asked for by that edge (the parent's stream IDs run out), not a failback. */
    private final boolean renewal;
    /**
     * Why this attempt ended without registering, when the edge said so (or this probe was given up): logged with the
     * retry, or told to the failback.
     */
    private volatile String refusal;
    private final LinkFailback failback;

    LinkSlot(int index, LinkConfig config, EventLoopGroup group, Supplier<ChannelHandler> fetchHandlers,
             LinkSupervisor supervisor, EdgeCursor cursor) {
        this(index, config, group, fetchHandlers, supervisor, cursor, null, false);
    }

    /**
     * A probe: a second link of {@code parent}'s index to its own edge ({@code renewal}: to parent's edge and address),
     * which takes parent's place once registered.
     */
    LinkSlot(LinkSlot parent, boolean renewal) {
        this(parent.index, parent.config, parent.group, parent.fetchHandlers, parent.supervisor,
                parent.cursor.forProbe(renewal), parent, renewal);
    }

    private LinkSlot(int index, LinkConfig config, EventLoopGroup group, Supplier<ChannelHandler> fetchHandlers,
                     LinkSupervisor supervisor, EdgeCursor cursor, LinkSlot replacing, boolean renewal) {
        this.index = index;
        this.config = config;
        this.group = group;
        this.fetchHandlers = fetchHandlers;
        this.supervisor = supervisor;
        this.cursor = cursor;
        this.replacing = replacing;
        this.renewal = renewal;
        this.failback = new LinkFailback(this, config.failbackInterval());
    }

    void start() { // an attempt: resolve the edge, dial one of its addresses
        if (stopped) {
            return;
        }
        InetSocketAddress edge = currentEdge();
        draining = false;
        fetches.reopen();
        closeWhenIdle = false;
        cursor.pick(group.next()).addListener((Future<InetSocketAddress> a) -> {
            if (a.isSuccess()) {
                dial(edge, a.getNow());
            } else {
                attemptFailed(edge, null, a.cause());
            }
        });
    }

    private void dial(InetSocketAddress edge, InetSocketAddress address) {
        cursor.dialing(address);
        ChannelFuture f = ConnectorLinkInitializer.dial(this, edge, address);
        channel = f.channel();
        if (stopped) { // retired meanwhile (LinkFailback.handOver on another thread): retire() may have missed this channel
            f.channel().close();
        }
        f.addListener((ChannelFuture c) -> {
            if (!c.isSuccess()) {
                attemptFailed(edge, address, c.cause());
            } else {
                c.channel().closeFuture().addListener(x -> closed(LinkCloseReason.of(c.channel())));
            }
        });
    }

    /** No connection to {@code address} (null: the name did not resolve): a probe ends; a link tries the next edge. */
    private void attemptFailed(InetSocketAddress edge, InetSocketAddress address, Throwable cause) {
        String why = NativeErrors.connectFailure(cause);
        if (replacing != null) { // its own edge, which worked before: no hint about a wrong --edge
            cursor.failedHere(); // the next probe of its own edge dials its next address
            probeEnded((address == null ? "cannot be resolved" : "cannot be reached") + ": " + why);
        } else if (!stopped) {
            retry(Level.WARNING, ": " + (address == null ? "cannot resolve edge host '" + edge.getHostString() + "'"
                    : "cannot reach edge " + EdgeAddresses.describe(edge, address)) + ": " + why + cursor.refusedHint(cause),
                    cursor.next());
        }
    }

    /** {@code why}: {@link LinkCloseReason#of}, "" or " (GOAWAY received: ...)". */
    private void closed(String why) {
        boolean edgeAsked = draining; // read before stopped: if our own drain set it, stopped (set first) is seen below
        boolean was = registered;
        registered = false;
        fetches.noticePending(false);
        control = null;
        if (replacing != null) {
            cursor.failedHere();
            probeEnded("closed the link before it registered" + why);
            return;
        }
        failback.linkClosed();
        String r = refusal;
        refusal = null;
        if (stopped) {
            if (was || r != null) {
                LOG.info(() -> this + (was ? " closed" + why : ": " + r));
            }
            return;
        }
        if (was) {
            backoff.dropped(draining);
            retry(edgeAsked ? Level.INFO : Level.WARNING, (edgeAsked ? " down: its edge asked it to drain" : " down") + why, false);
        } else if (r != null) { // the edge refused the registration and said why
            retry(Level.WARNING, ": " + r, cursor.next());
        } else { // the handshake failed (warned about), or the edge closed the link before registering it
            retry(Level.INFO, ": closed before it registered" + why, cursor.next());
        }
    }

    /**
     * Logs how this attempt ended ({@code ended}) and when the next one goes, in one line: "...; retrying in 5.3s
     * (backoff up to 8s)", naming the edge when it is another one (cloudflared's "Retrying connection in up to 8s").
     * A failed attempt logs this line only, so an edge down for hours costs a line per link per wait. Then schedules.
     */
    private void retry(Level level, String ended, boolean otherEdge) {
        LinkBackoff.Wait wait = backoff.next();
        LOG.log(level, () -> this + ended + "; retrying " + (otherEdge ? "with edge " + LinkConfig.hostPort(currentEdge()) + " " : "") + wait);
        group.schedule(this::start, wait.delay().toMillis(), TimeUnit.MILLISECONDS);
    }

    // ---- called from the link's event loop ----

    void controlOpened(Channel controlStream) {
        control = controlStream;
    }

    void registeredWith(String edgeId) {
        registered = true;
        LinkSlot parent = replacing;
        if (parent != null) {
            if (!parent.failback.handOver(this)) {
                stop(); // the connector is shutting down, or the probe was given up: this link is not wanted
                return;
            }
            replacing = null;
        }
        backoff.registered();
        cursor.registered();
        LOG.info(() -> this + " registered with edge " + edgeId + " at " + cursor.describe()
                + (parent == null ? "" : renewal ? " in place of the old one" : " (back on its own edge)"));
        if (draining && stopped) { // a drain that began while this link dialed or registered: the edge learns it now
            ConnectorControlStream.sendDrain(control, "connector shutting down");
            channel.writeAndFlush(LinkClose.notice());
            return;
        }
        failback.schedule();
    }

    /** This probe ended without registering: why the edge refused it or it was given up, else {@code otherwise}. */
    private void probeEnded(String otherwise) {
        String r = refusal;
        replacing.failback.failed(this, r != null ? r : otherwise);
    }

    /** Gives up this probe ({@code why} for the log). */
    void abandon(String why) {
        refusal = why;
        stop();
    }

    boolean awayFromHome() {
        return cursor.awayFromHome();
    }

    /** Drains this slot's link for good: GOAWAY, in-flight streams finish (at most 60 s but for a renewal's: a long poll). */
    void retire(LinkSlot successor) {
        stopped = true;
        draining = true;
        Channel ch = channel;
        Channel ctl = control;
        boolean wasRegistered = registered;
        LOG.info(() -> this + (successor.renewal ? " hands over to a new link to edge " + LinkConfig.hostPort(currentEdge())
                : " leaves edge " + LinkConfig.hostPort(currentEdge()) + " for its own edge " + LinkConfig.hostPort(successor.currentEdge()))
                + ", draining " + fetches.open() + " streams");
        if (ch == null) {
            supervisor.retired(this);
            return;
        }
        ch.closeFuture().addListener(f -> supervisor.retired(this));
        ch.eventLoop().execute(() -> {
            if (wasRegistered) {
                ConnectorControlStream.sendDrain(ctl, successor.renewal ? "a new link took its place" : "link moves back to its own edge");
            }
            goAwayAndCloseWhenIdle(ch, !successor.renewal);
        });
    }

    /** On the loop: the notice; streams sent before the edge read it are served (LinkClose), then closes when idle. */
    private void goAwayAndCloseWhenIdle(Channel ch, boolean capped) {
        Runnable refuseThenClose = () -> {
            fetches.noticeAnswered();
            closeWhenIdle = true;
            closeIfIdle();
        };
        if (!LinkClose.noticeThenPing(ch, "notice-ack", refuseThenClose, refuseThenClose)) {
            refuseThenClose.run();
        }
        if (capped) {
            ch.eventLoop().schedule(() -> LinkClose.gracefully(ch), EDGE_DRAIN_LIMIT.toMillis(), TimeUnit.MILLISECONDS);
        }
    }

    private void closeLink() {
        Channel ch = channel;
        if (ch != null) {
            ch.close();
        }
    }

    void refused(boolean permanent, String message, int retryAfterMs) {
        if (replacing != null) { // a probe: its own edge does not take it (yet); the working link stays where it is
            refusal = "refused the link" + (permanent ? " (permanent)" : "") + ": " + message;
            closeLink();
            return;
        }
        if (permanent) {
            LOG.severe(() -> this + ": registration refused (permanent, not retrying): " + message);
            supervisor.permanent(message);
        } else {
            backoff.edgeAsksToWait(retryAfterMs);
            refusal = "registration refused (retryable): " + message; // logged with the retry once the link closed
            closeLink();
        }
    }

    LinkFailback failback() {
        return failback;
    }

    /** The edge asks this link to drain (it is shutting down): GOAWAY, finish in-flight streams, then reconnect. */
    void edgeDraining(String reason) {
        LOG.info(() -> this + ": edge asks to drain (" + reason + ")");
        Channel ch = channel;
        if (ch == null) {
            return;
        }
        draining = true;
        goAwayAndCloseWhenIdle(ch, true);
    }

    /**
     * Connector shutdown: tells the edge; the streams it opened before it read that are served, and the link refuses
     * streams once the edge acknowledges a PING sent after the notice ({@link LinkClose}); closed after the grace.
     */
    void beginDrain() {
        stopped = true; // a link that drops during the drain stays down: a fresh one would take fetches the grace cuts
        draining = true; // after stopped, as in retire: closed() that reads it true reads stopped true (not "edge asked")
        failback.stopProbe();
        Channel ch = channel;
        if (ch == null || !ch.isActive()) {
            fetches.refuse();
            return;
        }
        fetches.noticePending(true);
        ch.eventLoop().execute(() -> {
            ConnectorControlStream.sendDrain(control, "connector shutting down");
            Runnable answered = fetches::noticeAnswered; // or not in time
            if (!registered || !LinkClose.noticeThenPing(ch, "notice-ack", answered, answered)) {
                answered.run(); // not registered yet: refuses, as before; registeredWith tells the edge of the drain
                ch.writeAndFlush(LinkClose.notice());
            }
        });
    }

    boolean acceptsFetches() {
        return registered && !fetches.refusing();
    }

    /** Registered and not draining: the edge sends it new fetches (what /ready counts). */
    boolean serving() {
        return registered && !draining;
    }

    private void closeIfIdle() {
        Channel ch = channel;
        if (closeWhenIdle && fetches.open() == 0 && ch != null) {
            LinkClose.gracefully(ch);
        }
    }

    /**
     * Closes the link for good, streams in flight or not; a registered link ends with GOAWAY and a PING
     * ({@link LinkClose#gracefully}), so that the edge knows which streams were never seen and sends them elsewhere.
     */
    void stop() {
        stopped = true;
        draining = true;
        fetches.refuse(); // streams arriving from now on are refused, so the edge may retry them elsewhere
        failback.stopProbe();
        Channel ch = channel;
        if (ch != null) {
            if (ch.isActive() && registered) {
                LinkClose.gracefully(ch);
            } else {
                ch.close();
            }
        }
    }

    boolean registered() {
        return registered;
    }

    /** Whether this slot's link is closed (or was never opened). */
    boolean linkClosed() {
        Channel ch = channel;
        return ch == null || !ch.isOpen();
    }

    InetSocketAddress currentEdge() {
        return cursor.edge();
    }

    EventLoopGroup group() {
        return group;
    }

    LinkSupervisor supervisor() {
        return supervisor;
    }

    /** The link is being closed for good (connector shutdown or a permanent refusal). */
    boolean stopping() {
        return stopped;
    }

    FetchGate fetches() {
        return fetches;
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
        return replacing == null ? "link #" + index : "link #" + index + (renewal ? " (new)" : " (new, to its own edge)");
    }
}
