package dev.vpctunnel.connector.link;

import io.netty.channel.EventLoop;
import io.netty.util.concurrent.Future;

import java.net.InetSocketAddress;

/**
 * Where one slot's link dials: which of the configured edges (link i's own is edge i mod n) and which of that edge's
 * addresses (a name may have several; the turns are shared by a slot and its probes). A failback probe starts at the
 * slot's own edge; a renewal dials the very address of the link it replaces, since edges behind one name do not pass
 * fetches to each other: pinned there for that one attempt, which moves no turn (the link it replaces is still there),
 * and unpinned once it registered, so that as the slot it dials by turns again.
 */
final class EdgeCursor {
    private final LinkConfig config;
    private final int index;
    private final EdgeAddresses addresses;
    private final EdgeAddresses.Turns turns;
    /** A renewal's until it registered: the address of the link it replaces; null: picked among the edge's addresses. */
    private volatile InetSocketAddress fixed;
    private volatile int edgeIndex;
    private volatile InetSocketAddress dialed;

    EdgeCursor(LinkConfig config, int index, EdgeAddresses addresses) {
        this(config, index, addresses, new EdgeAddresses.Turns(config.edges().size(), index / config.edges().size()),
                config.edgeIndexFor(index), null);
    }

    private EdgeCursor(LinkConfig config, int index, EdgeAddresses addresses, EdgeAddresses.Turns turns, int edgeIndex,
                       InetSocketAddress fixed) {
        this.config = config;
        this.index = index;
        this.addresses = addresses;
        this.turns = turns;
        this.edgeIndex = edgeIndex;
        this.fixed = fixed;
    }

    /** A probe's: to the slot's own edge, or ({@code renewal}) to the address this one dialed last. */
    EdgeCursor forProbe(boolean renewal) {
        InetSocketAddress last = dialed;
        return renewal && last != null ? new EdgeCursor(config, index, addresses, turns, edgeIndex, last)
                : new EdgeCursor(config, index, addresses, turns, config.edgeIndexFor(index), null);
    }

    InetSocketAddress edge() {
        return config.edges().get(edgeIndex);
    }

    boolean awayFromHome() {
        return edgeIndex != config.edgeIndexFor(index);
    }

    /** The address the next attempt dials. */
    Future<InetSocketAddress> pick(EventLoop loop) {
        return fixed != null ? loop.newSucceededFuture(fixed) : addresses.pick(loop, edge(), turns.of(edgeIndex));
    }

    void dialing(InetSocketAddress address) {
        dialed = address;
    }

    /** An attempt here got no registration: the next one here dials the edge's next address (a renewal's: none). */
    void failedHere() {
        if (fixed == null) {
            turns.failed(edgeIndex);
        }
    }

    /**
     * The next attempt dials the next edge in the list (the same one when there is only one), at its next address;
     * whether that is another edge.
     */
    boolean next() {
        fixed = null;
        turns.failed(edgeIndex);
        int next = config.edgeAfter(edgeIndex);
        boolean moved = next != edgeIndex;
        edgeIndex = next;
        return moved;
    }

    void registered() {
        fixed = null; // a renewal that took the slot's place: its next attempts go by turns
        addresses.registered(edge());
    }

    /** The edge and the address dialed last, as logs name them. */
    String describe() {
        return EdgeAddresses.describe(edge(), dialed);
    }

    String refusedHint(Throwable cause) {
        return addresses.refusedHint(edge(), cause);
    }
}
