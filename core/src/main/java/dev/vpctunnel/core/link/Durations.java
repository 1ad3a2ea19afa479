package dev.vpctunnel.core.link;

import java.time.Duration;
import java.util.Locale;

/** Parses the durations operators type: 30s, 500ms, 2m, 1h, or a bare number of seconds. */
public final class Durations {
    private Durations() {
    }

    public static Duration parse(String s, String what) {
        String v = s == null ? "" : s.trim().toLowerCase(Locale.ROOT);
        try {
            if (v.endsWith("ms")) {
                return check(Duration.ofMillis(Long.parseLong(v.substring(0, v.length() - 2))), what, s);
            }
            if (v.endsWith("s")) {
                return check(Duration.ofMillis(Math.round(Double.parseDouble(v.substring(0, v.length() - 1)) * 1000)), what, s);
            }
            if (v.endsWith("m")) {
                return check(Duration.ofSeconds(Long.parseLong(v.substring(0, v.length() - 1)) * 60), what, s);
            }
            if (v.endsWith("h")) {
                return check(Duration.ofHours(Long.parseLong(v.substring(0, v.length() - 1))), what, s);
            }
            return check(Duration.ofSeconds(Long.parseLong(v)), what, s);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(what + ": expected a duration like 30s, 500ms or 2m, got '" + s + "'");
        }
    }

    private static Duration check(Duration d, String what, String s) {
        if (d.isNegative()) {
            throw new IllegalArgumentException(what + ": must not be negative, got '" + s + "'");
        }
        return d;
    }
}
