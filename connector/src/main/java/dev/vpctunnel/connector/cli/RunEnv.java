package dev.vpctunnel.connector.cli;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * The environment variables of {@code connector run}, one per flag but --config (cloudflared reads none for its
 * --config either): cloudflared's name where cloudflared's {@code tunnel run} has the same setting, so that an
 * environment file written for it means the same here, else TUNNEL_ and the flag in upper snake case. A variable
 * ranks below its flag and above the --config file. An empty one counts as unset (compose files set empty ones);
 * a list is comma-separated. Refusals of a variable's value name the variable, not the flag.
 */
final class RunEnv {
    static final String TOKEN = TokenSource.ENV;
    static final String TOKEN_FILE = "TUNNEL_TOKEN_FILE";
    static final String EDGE = "TUNNEL_EDGE";
    /** cloudflared's --cacert: "Certificate Authority authenticating connections with Cloudflare's edge network". */
    static final String EDGE_CA = "TUNNEL_CACERT";
    /** cloudflared's --ha-connections reads no variable. */
    static final String HA_CONNECTIONS = "TUNNEL_HA_CONNECTIONS";
    /** cloudflared's --origin-ca-pool (one file there; a list here). */
    static final String ORIGIN_CA = "TUNNEL_ORIGIN_CA_POOL";
    static final String ALLOW = "TUNNEL_ALLOW";
    static final String DENY = "TUNNEL_DENY";
    /** cloudflared's --metrics. */
    static final String METRICS = "TUNNEL_METRICS";
    static final String GRACE_PERIOD = "TUNNEL_GRACE_PERIOD";
    /** cloudflared's --heartbeat-interval reads no variable. */
    static final String HEARTBEAT_INTERVAL = "TUNNEL_HEARTBEAT_INTERVAL";
    static final String HEARTBEAT_TIMEOUT = "TUNNEL_HEARTBEAT_TIMEOUT";
    static final String THREADS = "TUNNEL_THREADS";
    /** cloudflared's --loglevel. */
    static final String LOG_LEVEL = "TUNNEL_LOGLEVEL";
    /** cloudflared's --output (default or json), whose "default" is our text. */
    static final String LOG_FORMAT = "TUNNEL_LOG_OUTPUT";

    private final Function<String, String> env;

    /** {@code env}: a variable's value or null, e.g. {@code System::getenv} (tests pass a map's {@code get}). */
    RunEnv(Function<String, String> env) {
        this.env = env;
    }

    /**
     * A setting as its flag or its variable gave it: the value(s) as text and the name its refusals start with (the
     * flag, or the variable).
     */
    record Given(String name, List<String> values) {
        String value() {
            return values.get(0);
        }
    }

    /** The variable's value, trimmed; null when it is unset or empty. */
    String get(String name) {
        String v = env.apply(name);
        return v == null || v.isBlank() ? null : v.trim();
    }

    /** The flag's value when it was given, else the variable's when set; null when neither. */
    Given setting(Object flag, String flagName, String var) {
        if (flag != null) {
            return new Given(flagName, List.of(flag.toString()));
        }
        String v = get(var);
        return v == null ? null : new Given(var, List.of(v));
    }

    /**
     * A list flag's items when it was given, else the variable's (comma-separated, each trimmed); null when neither.
     * A variable of commas only is refused.
     */
    Given list(List<?> flag, String flagName, String var) {
        if (!flag.isEmpty()) {
            return new Given(flagName, flag.stream().map(Object::toString).toList());
        }
        String v = get(var);
        if (v == null) {
            return null;
        }
        List<String> out = new ArrayList<>();
        for (String part : v.split(",")) {
            if (!part.isBlank()) {
                out.add(part.trim());
            }
        }
        if (out.isEmpty()) {
            throw new IllegalArgumentException(var + ": no values in '" + v + "' (unset it or give values, comma-separated)");
        }
        return new Given(var, List.copyOf(out));
    }
}
