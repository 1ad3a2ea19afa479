package dev.vpctunnel.connector.origin;

/**
 * How long the pool may keep an origin connection idle after a response whose {@code Keep-Alive: timeout=N} header
 * said the origin closes it after N idle seconds (RFC 2068 19.7.1.1; node's http server sends {@code timeout=5}, Apache
 * its KeepAliveTimeout). Reusing a connection just as the origin closes it fails the fetch when it carries a body (it
 * is not sent again: the origin may have seen it), so the pool lets go of it first: a second before the origin does
 * (undici, Node's fetch client, keeps the same margin), half the time for {@code timeout=1}.
 */
final class KeepAliveHint {
    /** No usable timeout in the header: the pool's own idle timeout applies. */
    static final long NONE = -1;

    private KeepAliveHint() {
    }

    /** Milliseconds to keep the connection idle at most (0: do not keep it), or {@link #NONE}. */
    static long holdMillis(String keepAlive) {
        if (keepAlive == null) {
            return NONE;
        }
        for (String param : keepAlive.split(",", 16)) {
            int eq = param.indexOf('=');
            if (eq < 0 || !param.substring(0, eq).trim().equalsIgnoreCase("timeout")) {
                continue;
            }
            String value = param.substring(eq + 1).trim();
            if (value.length() >= 2 && value.startsWith("\"") && value.endsWith("\"")) {
                value = value.substring(1, value.length() - 1);
            }
            if (value.isEmpty() || value.length() > 9 || !value.chars().allMatch(ch -> ch >= '0' && ch <= '9')) {
                return NONE; // not a number of seconds: ignored, as other clients do
            }
            long seconds = Long.parseLong(value);
            return seconds == 0 ? 0 : Math.max(seconds * 1000 - 1000, seconds * 500);
        }
        return NONE;
    }
}
