package dev.vpctunnel.connector.cli;

import dev.vpctunnel.connector.cli.RunEnv.Given;
import dev.vpctunnel.connector.policy.CidrPolicy;
import dev.vpctunnel.core.link.Durations;
import dev.vpctunnel.core.log.Logs;
import dev.vpctunnel.core.net.Transports;

import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import java.util.logging.Level;

/**
 * What {@code connector run} runs with: the flags, else the environment ({@link RunEnv}: TUNNEL_EDGE, ...), else the
 * config file, else the defaults. A list given on the command line or in a variable replaces the file's list. The
 * token: --token, --token-file, TUNNEL_TOKEN_FILE, TUNNEL_TOKEN, then the file's token-file or token. Validated
 * eagerly, the whole file included; a variable whose flag is given is not read. The token itself is read later
 * (after logging is set up). The labels start the refusals about a file or address: its flag, its variable, or the
 * config file and its key.
 */
record RunSettings(String token, Path tokenFile, String tokenFileLabel, List<InetSocketAddress> edges, Path edgeCa,
                   String edgeCaLabel, int haConnections,
                   List<Path> originCas, String originCaLabel, List<String> allow, List<String> deny, String metricsListen,
                   String metricsListenLabel, Duration gracePeriod, Duration heartbeatInterval, Duration heartbeatTimeout,
                   int threads, Level logLevel, Logs.Format logFormat, List<String> warnings) {
    static final int DEFAULT_HA_CONNECTIONS = 4;
    static final Duration DEFAULT_GRACE = Duration.ofSeconds(30);
    static final Duration DEFAULT_HEARTBEAT_INTERVAL = Duration.ofSeconds(5);
    static final Duration DEFAULT_HEARTBEAT_TIMEOUT = Duration.ofSeconds(15);

    /** Merges the parsed flags of {@code cmd} over the environment {@code getenv} (System::getenv) over its --config file. */
    static RunSettings resolve(RunCommand cmd, Function<String, String> getenv) {
        RunEnv env = new RunEnv(getenv);
        ConfigFile.Values f = cmd.configFile == null ? ConfigFile.Values.EMPTY : ConfigFile.load(cmd.configFile);
        String token = cmd.token;
        // --token-file "" is no token file, as an empty TUNNEL_TOKEN_FILE is (compose files often set one)
        Given tf = env.setting(cmd.tokenFile == null || cmd.tokenFile.toString().isBlank() ? null : cmd.tokenFile,
                "--token-file", RunEnv.TOKEN_FILE);
        Path tokenFile = tf != null ? Path.of(tf.value()) : null;
        String tokenFileLabel = tf != null ? tf.name() : "--token-file";
        if (token == null && tokenFile == null && env.get(RunEnv.TOKEN) == null) {
            token = f.token();
            tokenFile = f.tokenFile();
            tokenFileLabel = ConfigFile.label(cmd.configFile, "token-file");
        }
        Given e = env.list(cmd.edges, "--edge", RunEnv.EDGE);
        List<InetSocketAddress> edges = new ArrayList<>();
        for (String s : e == null ? List.<String>of() : e.values()) {
            edges.add(Transports.parseHostPort(s, e.name()));
        }
        if (edges.isEmpty()) {
            edges.addAll(f.edges());
        }
        if (edges.isEmpty()) {
            throw new IllegalArgumentException("--edge HOST:PORT is required (or " + RunEnv.EDGE + ", or 'edges:' in the --config file)");
        }
        Given ca = env.setting(cmd.edgeCa, "--edge-ca", RunEnv.EDGE_CA);
        Path edgeCa = ca != null ? Path.of(ca.value()) : f.edgeCa();
        String edgeCaLabel = ca != null ? ca.name() : ConfigFile.label(cmd.configFile, "edge-ca");
        if (edgeCa == null) {
            throw new IllegalArgumentException("--edge-ca FILE is required (the edge's DIR/edge-ca.pem; or " + RunEnv.EDGE_CA
                    + ", or 'edge-ca:' in the --config file)");
        }
        Given haGiven = env.setting(cmd.haConnections, "--ha-connections", RunEnv.HA_CONNECTIONS);
        int ha = haGiven != null ? wholeNumber(haGiven, 1, 64, "") : first(f.haConnections(), DEFAULT_HA_CONNECTIONS);
        Given th = env.setting(cmd.threads, "--threads", RunEnv.THREADS);
        int threads = th != null ? wholeNumber(th, 0, 1024, " (0: one per core)") : first(f.threads(), 0);
        Given oc = env.list(cmd.originCas, "--origin-ca", RunEnv.ORIGIN_CA);
        List<Path> originCas = oc != null ? oc.values().stream().map(Path::of).toList() : List.copyOf(f.originCas());
        // read (and refused) by the origin service, which names the files by this label
        String originCaLabel = oc != null ? oc.name() : cmd.configFile != null ? ConfigFile.label(cmd.configFile, "origin-ca") : "--origin-ca";
        List<String> allow = cidrs(env.list(cmd.allow, "--allow", RunEnv.ALLOW), f.allow());
        List<String> deny = cidrs(env.list(cmd.deny, "--deny", RunEnv.DENY), f.deny());
        Given m = env.setting(cmd.metricsListen, "--metrics-listen", RunEnv.METRICS);
        if (m != null) {
            listenAddress(m.value(), m.name());
        }
        Given hi = env.setting(cmd.heartbeatInterval, "--heartbeat-interval", RunEnv.HEARTBEAT_INTERVAL);
        Given ht = env.setting(cmd.heartbeatTimeout, "--heartbeat-timeout", RunEnv.HEARTBEAT_TIMEOUT);
        Duration hbInterval = duration(hi, f.heartbeatInterval(), DEFAULT_HEARTBEAT_INTERVAL,
                dev.vpctunnel.core.link.LinkHeartbeat.MIN_INTERVAL);
        Duration hbTimeout = duration(ht, f.heartbeatTimeout(), DEFAULT_HEARTBEAT_TIMEOUT, Duration.ZERO);
        if (hbTimeout.compareTo(hbInterval) <= 0) {
            throw heartbeatRefusal(cmd.configFile, f, hi, ht, hbInterval, hbTimeout);
        }
        Given level = env.setting(cmd.logLevel, "--log-level", RunEnv.LOG_LEVEL);
        Given format = env.setting(cmd.logFormat, "--log-format", RunEnv.LOG_FORMAT);
        return new RunSettings(token, tokenFile, tokenFileLabel, List.copyOf(edges), edgeCa, edgeCaLabel, ha,
                originCas, originCaLabel, allow, deny, m != null ? m.value() : f.metricsListen(),
                m != null ? m.name() : "--metrics-listen",
                duration(env.setting(cmd.gracePeriod, "--grace-period", RunEnv.GRACE_PERIOD), f.gracePeriod(), DEFAULT_GRACE,
                        Duration.ZERO),
                hbInterval, hbTimeout,
                threads,
                level != null ? named(level, Logs::parseLevel) : first(f.logLevel(), Level.INFO),
                format != null ? named(format, RunSettings::logFormat) : first(f.logFormat(), Logs.Format.TEXT),
                f.warnings());
    }

    /**
     * cloudflared's --output (TUNNEL_LOG_OUTPUT) calls our text "default": an environment written for it works here
     * (the flag takes it too).
     */
    private static Logs.Format logFormat(String s) {
        return Logs.parseFormat(s.equalsIgnoreCase("default") ? "text" : s);
    }

    /**
     * The heartbeat timeout must be greater than the interval (else a link is declared silent before, or as, it
     * is pinged). The refusal is worded after the setting the operator gave: the timeout's, unless only the
     * interval was given; each named as a flag, a variable, a key of the --config file or a default.
     */
    private static IllegalArgumentException heartbeatRefusal(Path configFile, ConfigFile.Values f, Given interval,
                                                             Given timeout, Duration iv, Duration tv) {
        Source t = Source.of(timeout, f.heartbeatTimeout() != null, configFile);
        Source i = Source.of(interval, f.heartbeatInterval() != null, configFile);
        if (t == Source.DEFAULT && i != Source.DEFAULT) {
            return new IllegalArgumentException(i.prefix("heartbeat-interval", interval, configFile)
                    + ": must be less than the heartbeat timeout, got " + Durations.show(iv) + " and "
                    + t.describe("heartbeat-timeout", timeout, tv, configFile, i));
        }
        return new IllegalArgumentException(t.prefix("heartbeat-timeout", timeout, configFile)
                + ": must be greater than the heartbeat interval, got " + Durations.show(tv) + " and "
                + i.describe("heartbeat-interval", interval, iv, configFile, t));
    }

    /** Where a setting's value came from: a flag or a variable (named by its {@link Given}), the file, the default. */
    private enum Source {
        GIVEN, FILE, DEFAULT;

        static Source of(Given given, boolean file, Path configFile) {
            return given != null ? GIVEN : file && configFile != null ? FILE : DEFAULT;
        }

        /** How an error about the setting {@code key} starts, like the other refusals of its kind. */
        String prefix(String key, Given given, Path configFile) {
            return switch (this) {
                case GIVEN -> given.name();
                case FILE -> ConfigFile.label(configFile, key);
                case DEFAULT -> "--" + key;
            };
        }

        /** The other setting of an error whose own setting came from {@code from}. */
        String describe(String key, Given given, Duration value, Path configFile, Source from) {
            return switch (this) {
                case GIVEN -> given.name() + " " + Durations.show(value);
                case FILE -> "key '" + key + "' " + Durations.show(value) + (from == FILE ? "" : " in " + configFile);
                case DEFAULT -> "the default --" + key + " " + Durations.show(value);
            };
        }
    }

    /**
     * A listen address HOST:PORT whose host resolves (an unresolved one would only fail at bind time, with an
     * exception without a message).
     */
    static InetSocketAddress listenAddress(String value, String what) {
        InetSocketAddress a = Transports.parseListen(value, what);
        if (a.isUnresolved()) {
            throw new IllegalArgumentException(what + ": cannot resolve host '" + a.getHostString()
                    + "' (give an address of this machine, e.g. 127.0.0.1:20241)");
        }
        return a;
    }

    private static <T> T first(T file, T dflt) {
        return file != null ? file : dflt;
    }

    /** The given whole number in [min, max]; a flag's was parsed by picocli already, a variable's is parsed here. */
    private static int wholeNumber(Given g, int min, int max, String hint) {
        int n;
        try {
            n = Integer.parseInt(g.value());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(g.name() + ": expected a whole number, got '" + g.value() + "'");
        }
        if (n < min || n > max) {
            throw new IllegalArgumentException(g.name() + ": must be " + min + "-" + max + hint + ", got " + n);
        }
        return n;
    }

    /** The given value (at least {@code min}), else the file's (checked when the file was read), else the default. */
    private static Duration duration(Given g, Duration file, Duration dflt, Duration min) {
        return g != null ? Durations.parse(g.value(), g.name(), min, Durations.MAX) : first(file, dflt);
    }

    /** {@code parse}'s value of the given text; its refusal starts with the flag or the variable, as the others do. */
    private static <T> T named(Given g, Function<String, T> parse) {
        try {
            return parse.apply(g.value());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(g.name() + ": " + e.getMessage());
        }
    }

    private static List<String> cidrs(Given g, List<String> file) {
        if (g == null) {
            return List.copyOf(file);
        }
        CidrPolicy.parse(g.values(), g.name()); // validates only; the strings are kept
        return g.values();
    }
}
