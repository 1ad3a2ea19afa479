package dev.vpctunnel.connector.link;

import dev.vpctunnel.core.net.Backoff;

import java.time.Duration;

/**
 * How long a link waits before its next attempt: capped exponential backoff with full jitter ({@link Backoff}),
 * started over once a link that stayed up long enough drops, and never less than the edge's last retryable refusal
 * asked. One per {@link LinkSlot}, whose attempts follow one another.
 */
final class LinkBackoff {
    /** A link up this long before it dropped (or drained by its edge) starts its backoff over; cloudflared has such a grace. */
    static final Duration STABLE = Duration.ofSeconds(30);
    private final Backoff backoff;
    /** When the link last registered (System.nanoTime). */
    private volatile long registeredAt;
    /** What the edge's last retryable refusal asked us to wait before the next attempt. */
    private volatile Duration retryAfter = Duration.ZERO;

    LinkBackoff(Backoff backoff) {
        this.backoff = backoff;
    }

    void registered() {
        registeredAt = System.nanoTime();
    }

    /**
     * A registered link dropped: one that was up {@link #STABLE}, or drained by its edge, starts over; one that drops
     * soon after it registered backs off further (an edge or a box cutting links).
     */
    void dropped(boolean drained) {
        if (drained || System.nanoTime() - registeredAt >= STABLE.toNanos()) {
            backoff.reset();
        }
    }

    /** The edge refused the registration and asks for this wait (capped at 5 min) before the next attempt. */
    void edgeAsksToWait(long millis) {
        retryAfter = Duration.ofMillis(Math.min(Math.max(0, millis), 300_000));
    }

    /** The wait before the next attempt (which uses up the edge's request). */
    Wait next() {
        long ceiling = backoff.ceilingMillis();
        Duration jittered = backoff.next();
        Duration asked = retryAfter;
        retryAfter = Duration.ZERO;
        return asked.compareTo(jittered) > 0 ? new Wait(asked, ceiling, true) : new Wait(jittered, ceiling, false);
    }

    /** A wait: {@code delay}, drawn below {@code ceilingMillis}, or longer because the edge asked for it. */
    record Wait(Duration delay, long ceilingMillis, boolean edgeAsked) {
        /** "in 5.3s (backoff up to 8s)", what the operator sees: when, and how far the backoff has grown. */
        @Override
        public String toString() {
            return "in " + seconds(delay.toMillis()) + (edgeAsked ? " (as the edge asks)" : " (backoff up to "
                    + seconds(ceilingMillis) + ")");
        }
    }

    /** 250ms, 5.3s, 60s: to a tenth of a second from one second up. */
    static String seconds(long millis) {
        if (millis < 1000) {
            return millis + "ms";
        }
        long tenths = Math.round(millis / 100.0);
        return tenths % 10 == 0 ? tenths / 10 + "s" : tenths / 10 + "." + tenths % 10 + "s";
    }
}
