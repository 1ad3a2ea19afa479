package dev.vpctunnel.edge.directory;

import dev.vpctunnel.core.net.Ipv4Text;

import java.util.Locale;
import java.util.regex.Pattern;

/** Hostname route patterns: "db.internal" (exact) or "*.corp.internal" (any name below corp.internal). */
public final class HostnameRoutes {
    private static final Pattern LABEL = Pattern.compile("[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?");

    private HostnameRoutes() {
    }

    /** Lower-cases and validates a route pattern; the exception message says what is wrong. */
    public static String normalize(String pattern) {
        if (pattern == null || pattern.isBlank()) {
            throw new IllegalArgumentException("a hostname is required, as db.internal or *.corp.internal");
        }
        String p = pattern.trim().toLowerCase(Locale.ROOT);
        if (p.endsWith(".")) {
            p = p.substring(0, p.length() - 1);
        }
        String rest = p.startsWith("*.") ? p.substring(2) : p;
        if (Ipv4Text.hasLeadingZeroOctet(rest)) {
            throw new IllegalArgumentException(Ipv4Text.leadingZero(pattern));
        }
        if (!isHostname(rest)) {
            throw new IllegalArgumentException("'" + pattern + "' is not a hostname or a wildcard as *.corp.internal");
        }
        return p;
    }

    /** A DNS name (not an IP literal, nor IPv4 text with leading zeros): labels of letters, digits, '-' and '_', 253 characters at most. */
    public static boolean isHostname(String s) {
        if (s == null || s.isEmpty() || s.length() > 253 || Cidr.parseIp(s) != null || Ipv4Text.hasLeadingZeroOctet(s)) {
            return false;
        }
        for (String label : s.toLowerCase(Locale.ROOT).split("\\.", -1)) {
            if (!LABEL.matcher(label).matches()) {
                return false;
            }
        }
        return true;
    }

    /** -1 when the pattern does not match; else higher for more specific (exact beats any wildcard). */
    static int matchScore(String pattern, String host) {
        if (pattern.startsWith("*.")) {
            String suffix = pattern.substring(1);
            return host.endsWith(suffix) && host.length() > suffix.length() ? suffix.length() : -1;
        }
        return pattern.equals(host) ? 1000 : -1;
    }
}
