package dev.vpctunnel.core.net;

import java.util.concurrent.atomic.AtomicLong;

/** Lets something happen at most once per period, from any thread: the first caller after the period wins. */
public final class OncePer {
    private final long periodNanos;
    private final AtomicLong last;

    /** The first {@link #now()} passes at once. */
    public OncePer(long periodNanos) {
        this.periodNanos = periodNanos;
        this.last = new AtomicLong(System.nanoTime() - periodNanos);
    }

    /** True for at most one caller per period. */
    public boolean now() {
        long now = System.nanoTime();
        long before = last.get();
        return now - before >= periodNanos && last.compareAndSet(before, now);
    }
}
