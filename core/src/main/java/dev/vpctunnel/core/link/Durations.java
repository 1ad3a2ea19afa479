package dev.vpctunnel.core.link;

import java.time.Duration;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Parses the durations operators type: 30s, 500ms, 2m, 1h, a bare number of seconds, or several with units one
 * after the other as Go (and so cloudflared) writes them: 1h30m, 1m30s. At most {@link #MAX} (365 days): no grace
 * period, heartbeat or timeout needs more, and larger numbers would overflow.
 */
public final class Durations {
    /** The largest duration accepted. */
    public static final Duration MAX = Duration.ofDays(365);
    private static final Pattern PART = Pattern.compile("[0-9]+(?:\\.[0-9]+)?(?:ms|h|m|s)");
    private static final Pattern COMPOUND = Pattern.compile("(?:" + PART.pattern() + "){2,}");

    private Durations() {
    }

    /** {@link #parse(String, String)}, refused (naming {@code what}) below {@code min} or above {@code max}. */
    public static Duration parse(String s, String what, Duration min, Duration max) {
        Duration d = parse(s, what);
        if (d.compareTo(min) < 0) {
            throw new IllegalArgumentException(what + ": must be at least " + show(min) + ", got '" + s + "'");
        }
        if (d.compareTo(max) > 0) {
            throw new IllegalArgumentException(what + ": must be at most " + show(max) + ", got '" + s + "'");
        }
        return d;
    }

    /** A duration as operators write it: 5s, 100ms, 300s. */
    public static String show(Duration d) {
        long ms = d.toMillis();
        return ms % 1000 == 0 ? ms / 1000 + "s" : ms + "ms";
    }

    public static Duration parse(String s, String what) {
        String v = s == null ? "" : s.trim().toLowerCase(Locale.ROOT);
        if (!COMPOUND.matcher(v).matches()) {
            return single(v, what, s);
        }
        long total = 0;
        Matcher part = PART.matcher(v);
        while (part.find()) {
            total += single(part.group(), what, s).toMillis();
            if (total > MAX.toMillis()) {
                throw tooLarge(what, s);
            }
        }
        return Duration.ofMillis(total);
    }

    /** One number and its unit (or none: seconds); s is what the operator typed, for messages. */
    private static Duration single(String v, String what, String s) {
        String number = v;
        long unitMillis = 1000;
        if (v.endsWith("ms")) {
            number = v.substring(0, v.length() - 2);
            unitMillis = 1;
        } else if (v.endsWith("s")) {
            return seconds(v.substring(0, v.length() - 1), what, s);
        } else if (v.endsWith("m")) {
            number = v.substring(0, v.length() - 1);
            unitMillis = 60_000;
        } else if (v.endsWith("h")) {
            number = v.substring(0, v.length() - 1);
            unitMillis = 3_600_000;
        }
        long n;
        try {
            n = Long.parseLong(number);
        } catch (NumberFormatException e) {
            if (number.matches("\\+?[0-9]+")) {
                throw tooLarge(what, s); // digits only, beyond a long
            }
            if (number.matches("-[0-9]+")) {
                throw negative(what, s);
            }
            throw notADuration(what, s);
        }
        if (n < 0) {
            throw negative(what, s);
        }
        if (n > MAX.toMillis() / unitMillis) {
            throw tooLarge(what, s);
        }
        return Duration.ofMillis(n * unitMillis);
    }

    /** Seconds may have a fraction (1.5s); rounded to the millisecond. */
    private static Duration seconds(String number, String what, String s) {
        double d;
        if (!number.matches("[+-]?(?:[0-9]+(?:\\.[0-9]*)?|\\.[0-9]+)(?:[eE][+-]?[0-9]+)?")) { // .5 and 5. as Go reads them
            throw notADuration(what, s); // Double.parseDouble also takes 1d, 1f, 0x1p4, NaN and Infinity
        }
        try {
            d = Double.parseDouble(number);
        } catch (NumberFormatException e) {
            throw notADuration(what, s);
        }
        if (Double.isNaN(d)) {
            throw notADuration(what, s);
        }
        if (d * 1000 > MAX.toMillis()) { // also +Infinity (1e999s)
            throw tooLarge(what, s);
        }
        long millis = Math.round(d * 1000);
        if (millis < 0) {
            throw negative(what, s);
        }
        return Duration.ofMillis(millis);
    }

    private static IllegalArgumentException notADuration(String what, String s) {
        return new IllegalArgumentException(what + ": expected a duration like 30s, 500ms or 2m, got '" + s + "'");
    }

    private static IllegalArgumentException negative(String what, String s) {
        return new IllegalArgumentException(what + ": must not be negative, got '" + s + "'");
    }

    private static IllegalArgumentException tooLarge(String what, String s) {
        return new IllegalArgumentException(what + ": too large, at most " + MAX.toDays() + " days (" + MAX.toHours()
                + "h), got '" + s + "'");
    }
}
