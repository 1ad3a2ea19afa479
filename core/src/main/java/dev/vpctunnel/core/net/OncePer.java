package dev.vpctunnel.core.net;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/** Lets something happen at most once per period, from any thread: the first caller after the period wins. */
public final class OncePer {
    private final long periodNanos;
    private final AtomicLong last;
    private final AtomicInteger leftOut = new AtomicInteger();

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

    /**
     * For a log line at most once per period that counts the occasions it left out: -1 when this one is left out (and
     * counted), else how many were left out since the last line.
     */
    public int leftOutBeforeNow() {
        if (!now()) {
            leftOut.incrementAndGet();
            return -1;
        }
        return leftOut.getAndSet(0);
    }
}
