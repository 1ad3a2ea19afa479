package dev.vpctunnel.core.net;

import java.time.Duration;
import java.util.function.LongUnaryOperator;

/** Capped exponential backoff with full jitter: attempt n waits uniform(0, min(cap, base * 2^n)). */
public final class Backoff {
    private final long baseMillis;
    private final long capMillis;
    private final LongUnaryOperator random;
    private int attempt;

    /** {@code random} maps an exclusive bound to a value in [0, bound); injectable so tests are deterministic. */
    public Backoff(Duration base, Duration cap, LongUnaryOperator random) {
        this.baseMillis = base.toMillis();
        this.capMillis = cap.toMillis();
        this.random = random;
    }

    /**
     * 1 s doubling to 32 s, as cloudflared's links (its 5 retries of 1 s): a longer cap saved little against an edge
     * down for long and cost up to a minute of no_connector after it came back (the first of four links' jittered waits
     * came 12 s after it on average with 60 s, 6 s with 32 s).
     */
    public static final Duration CAP = Duration.ofSeconds(32);

    public static Backoff standard() {
        return new Backoff(Duration.ofSeconds(1), CAP,
                bound -> java.util.concurrent.ThreadLocalRandom.current().nextLong(bound));
    }

    /** The ceiling of the next wait. */
    public long ceilingMillis() {
        long exp = baseMillis << Math.min(attempt, 20);
        return Math.min(capMillis, exp);
    }

    public Duration next() {
        long ceiling = ceilingMillis();
        attempt++;
        return Duration.ofMillis(random.applyAsLong(ceiling + 1));
    }

    public void reset() {
        attempt = 0;
    }

    public int attempts() {
        return attempt;
    }
}
