package dev.vpctunnel.connector.link;

import java.time.Duration;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.logging.Logger;

/**
 * Brings one slot's link back to its own edge (link i's is edge i mod n) after it had to move: edges do not pass
 * fetches to each other, so an edge that restarted needs links of its own again. While the slot is registered away
 * from home, a probe (a second link of the same index, itself a {@link LinkSlot}) dials the home edge after a wait
 * that starts at {@link LinkConfig#failbackInterval()} and doubles each time a probe fails, up to 10 s (each wait
 * jittered between its half and its whole): an edge that restarted serves no fetch of the tunnel until a link is
 * back, and a probe costs only a connection attempt. Only a probe that registered takes the slot's place; then the
 * slot's link drains. A probe that cannot reach, is refused by or hangs on its edge just goes away, and the working
 * link never notices. The same probe, to the slot's current edge, renews a link whose edge asks for a new one in its
 * place ({@link #renew}). Any thread; guarded by this.
 */
final class LinkFailback {
    private static final Logger LOG = Logger.getLogger(LinkFailback.class.getName());
    private static final Duration MAX_WAIT = Duration.ofSeconds(10);
    /** A probe that has not registered by then is given up (an edge that takes TCP and TLS, then never answers). */
    private static final Duration PROBE_LIMIT = Duration.ofSeconds(30);
    private final LinkSlot slot;
    private final Duration firstWait;
    private Duration wait;
    private ScheduledFuture<?> timer;
    private LinkSlot probe;
    /** Whether {@link #probe} is a renewal's (to the slot's current edge and address), not a failback's. */
    private boolean renewing;

    LinkFailback(LinkSlot slot, Duration firstWait) {
        this.slot = slot;
        this.firstWait = firstWait;
        this.wait = firstWait;
    }

    /** The slot registered: if away from home, a probe goes out after the current wait; at home the wait starts over. */
    synchronized void schedule() {
        if (!slot.awayFromHome()) {
            wait = firstWait;
            return;
        }
        if (slot.stopping() || timer != null || probe != null) {
            return;
        }
        // jittered within the wait's second half: links that moved together do not all try at the same moment
        long ms = wait.toMillis();
        long delay = ms / 2 + java.util.concurrent.ThreadLocalRandom.current().nextLong(ms - ms / 2 + 1);
        timer = slot.group().schedule(this::probeNow, delay, TimeUnit.MILLISECONDS);
    }

    /**
     * The slot's link closed: no failback is due while it reconnects, and a renewal under way is not wanted (the slot's
     * own next link would otherwise be replaced as soon as it registered).
     */
    synchronized void linkClosed() {
        cancel();
        LinkSlot p = probe;
        if (p != null && renewing) {
            probe = null;
            p.stop();
        }
    }

    synchronized void cancel() {
        if (timer != null) {
            timer.cancel(false);
            timer = null;
        }
    }

    private synchronized void probeNow() {
        timer = null;
        if (slot.stopping() || !slot.serving() || probe != null || !slot.awayFromHome()) {
            return;
        }
        LinkSlot p = launch(false);
        LOG.fine(() -> slot + ": trying its own edge " + LinkConfig.hostPort(p.currentEdge()) + " again");
    }

    /** Starts a probe (a failback's or a renewal's), given up if it has not registered within {@link #PROBE_LIMIT}. */
    private LinkSlot launch(boolean renewal) {
        LinkSlot p = new LinkSlot(slot, renewal);
        probe = p;
        renewing = renewal;
        p.start();
        slot.group().schedule(() -> giveUp(p), PROBE_LIMIT.toMillis(), TimeUnit.MILLISECONDS);
        return p;
    }

    /**
     * The edge asks for a new link in this slot's place (the link's HTTP/2 stream IDs run out soon): a probe to the same
     * edge, which takes the slot's place once registered as a failback's does, while the old link still serves (make
     * before break: a tunnel served by this link alone is never without one). A probe already under way does the same.
     */
    synchronized void renew() {
        if (slot.stopping() || probe != null) {
            return;
        }
        cancel();
        launch(true);
    }

    /**
     * Probe {@code p} has not registered in time: it goes, unless it took over, and counts as failed at once (the wait
     * doubles, the next probe is scheduled). Not left to its close: a registration that completes meanwhile is refused
     * by {@link #handOver} (no longer the probe), and that refusal's close would find no probe to fail either.
     */
    private synchronized void giveUp(LinkSlot p) {
        if (probe == p) {
            String why = "has not taken it within " + PROBE_LIMIT.toSeconds() + " s";
            p.abandon(why);
            failed(p, why);
        }
    }

    /** Probe {@code p} ended without registering: the next one waits twice as long. */
    synchronized void failed(LinkSlot p, String why) {
        if (probe != p) {
            return; // counted already (given up), or not wanted (the connector stops)
        }
        probe = null;
        if (renewing) { // the edge drains the old link when its IDs run out; the slot then reconnects as usual
            LOG.info(() -> slot + ": no new link in its place: edge " + LinkConfig.hostPort(p.currentEdge()) + " " + why
                    + "; the link serves on until its edge drains it (the edge may ask again before)");
            schedule();
            return;
        }
        Duration next = wait.multipliedBy(2);
        wait = next.compareTo(MAX_WAIT) > 0 ? MAX_WAIT : next;
        long ms = wait.toMillis();
        LOG.info(() -> slot + " stays with edge " + LinkConfig.hostPort(slot.currentEdge()) + ": its own edge "
                + LinkConfig.hostPort(p.currentEdge()) + " " + why + "; trying again within "
                + (ms < 1000 ? ms + " ms" : ms / 1000 + " s"));
        schedule();
    }

    /** Probe {@code p} registered: it takes the slot's place and the slot's link drains; false if not wanted now. */
    synchronized boolean handOver(LinkSlot p) {
        if (probe != p) {
            return false; // given up
        }
        probe = null; // from here on its end is no failed try: nothing to log or double
        if (p.stopping() || slot.stopping() || !renewing && !slot.awayFromHome() && slot.registered()) {
            return false; // the connector stops, or the slot's own reconnect registered at home first
        }
        cancel();
        if (!slot.supervisor().replace(slot, p)) {
            return false;
        }
        slot.retire(p);
        return true;
    }

    /** The connector drains or stops: a probe in flight is not wanted. */
    synchronized void stopProbe() {
        cancel();
        LinkSlot p = probe;
        probe = null;
        if (p != null) {
            p.stop();
        }
    }
}
