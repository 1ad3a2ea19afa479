package dev.vpctunnel.core.net;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A {@link OncePer} for each key (a log line per origin, per edge), for at most {@code maxKeys} keys: keys past those
 * share one, so that a stream of new keys (a worker fetching ever new names) bounds the memory and the lines alike.
 */
public final class OncePerKey {
    private final long periodNanos;
    private final int maxKeys;
    private final Map<String, OncePer> gates = new ConcurrentHashMap<>();
    private final OncePer others;

    public OncePerKey(long periodNanos, int maxKeys) {
        this.periodNanos = periodNanos;
        this.maxKeys = maxKeys;
        this.others = new OncePer(periodNanos);
    }

    /** The gate of {@code key}: its own, or the one the keys past {@code maxKeys} share ({@link #shared}). */
    public OncePer of(String key) {
        OncePer gate = gates.get(key);
        if (gate == null) {
            gate = gates.size() < maxKeys ? gates.computeIfAbsent(key, k -> new OncePer(periodNanos)) : others;
        }
        return gate;
    }

    /** Whether {@code gate} is the one shared by the keys past the limit. */
    public boolean shared(OncePer gate) {
        return gate == others;
    }
}
