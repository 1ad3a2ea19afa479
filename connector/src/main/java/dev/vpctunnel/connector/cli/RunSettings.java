package dev.vpctunnel.connector.cli;

import dev.vpctunnel.connector.policy.CidrPolicy;
import dev.vpctunnel.core.link.Durations;
import dev.vpctunnel.core.log.Logs;
import dev.vpctunnel.core.net.Transports;

import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.logging.Level;

/**
 * What {@code connector run} runs with: the flags, else the config file, else the defaults. A list given on the
 * command line replaces the file's list. The token: --token, --token-file, TUNNEL_TOKEN, then the file's
 * token-file or token. Validated eagerly; the token itself is read later (after logging is set up). The labels
 * start the refusals about a file: its flag, or the config file and its key.
 */
record RunSettings(String token, Path tokenFile, String tokenFileLabel, List<InetSocketAddress> edges, Path edgeCa,
                   String edgeCaLabel, int haConnections,
                   List<Path> originCas, String originCaLabel, List<String> allow, List<String> deny, String metricsListen,
                   Duration gracePeriod, Duration heartbeatInterval, Duration heartbeatTimeout, int threads,
                   Level logLevel, Logs.Format logFormat, List<String> warnings) {
    static final int DEFAULT_HA_CONNECTIONS = 4;
    static final Duration DEFAULT_GRACE = Duration.ofSeconds(30);
    static final Duration DEFAULT_HEARTBEAT_INTERVAL = Duration.ofSeconds(5);
    static final Duration DEFAULT_HEARTBEAT_TIMEOUT = Duration.ofSeconds(15);

    /** Merges the parsed flags of {@code cmd} over its --config file; {@code env} is TUNNEL_TOKEN's value or null. */
    static RunSettings resolve(RunCommand cmd, String env) {
        ConfigFile.Values f = cmd.configFile == null ? ConfigFile.Values.EMPTY : ConfigFile.load(cmd.configFile);
        String token = cmd.token;
        // An empty TUNNEL_TOKEN_FILE (compose files often set one) is no token file, as for cloudflared.
        Path tokenFile = cmd.tokenFile == null || cmd.tokenFile.toString().isBlank() ? null : cmd.tokenFile;
        String tokenFileLabel = "--token-file";
        if (token == null && tokenFile == null && (env == null || env.isBlank())) {
            token = f.token();
            tokenFile = f.tokenFile();
            tokenFileLabel = ConfigFile.label(cmd.configFile, "token-file");
        }
        List<InetSocketAddress> edges = new ArrayList<>();
        for (String e : cmd.edges) {
            edges.add(Transports.parseHostPort(e, "--edge"));
        }
        if (edges.isEmpty()) {
            edges.addAll(f.edges());
        }
        if (edges.isEmpty()) {
            throw new IllegalArgumentException("--edge HOST:PORT is required (or 'edges:' in the --config file)");
        }
        Path edgeCa = first(cmd.edgeCa, f.edgeCa());
        String edgeCaLabel = cmd.edgeCa != null ? "--edge-ca" : ConfigFile.label(cmd.configFile, "edge-ca");
        if (edgeCa == null) {
            throw new IllegalArgumentException("--edge-ca FILE is required (the edge's DIR/edge-ca.pem; or 'edge-ca:' in the --config file)");
        }
        int ha = first(cmd.haConnections, f.haConnections(), DEFAULT_HA_CONNECTIONS);
        if (ha < 1 || ha > 64) {
            throw new IllegalArgumentException("--ha-connections: must be 1-64, got " + ha);
        }
        int threads = first(cmd.threads, f.threads(), 0);
        if (threads < 0 || threads > 1024) {
            throw new IllegalArgumentException("--threads: must be 0-1024 (0: one per core), got " + threads);
        }
        List<Path> originCas = List.copyOf(cmd.originCas.isEmpty() ? f.originCas() : cmd.originCas);
        // read (and refused) by the origin service, which names the files by this label
        String originCaLabel = cmd.originCas.isEmpty() && cmd.configFile != null
                ? ConfigFile.label(cmd.configFile, "origin-ca") : "--origin-ca";
        List<String> allow = cidrs(cmd.allow, "--allow", f.allow());
        List<String> deny = cidrs(cmd.deny, "--deny", f.deny());
        String metrics = first(cmd.metricsListen, f.metricsListen());
        if (cmd.metricsListen != null) {
            listenAddress(cmd.metricsListen, "--metrics-listen");
        }
        Duration hbInterval = duration(cmd.heartbeatInterval, "--heartbeat-interval", f.heartbeatInterval(), DEFAULT_HEARTBEAT_INTERVAL,
                dev.vpctunnel.core.link.LinkHeartbeat.MIN_INTERVAL);
        Duration hbTimeout = duration(cmd.heartbeatTimeout, "--heartbeat-timeout", f.heartbeatTimeout(), DEFAULT_HEARTBEAT_TIMEOUT);
        if (hbTimeout.compareTo(hbInterval) <= 0) {
            throw heartbeatRefusal(cmd, f, hbInterval, hbTimeout);
        }
        return new RunSettings(token, tokenFile, tokenFileLabel, List.copyOf(edges), edgeCa, edgeCaLabel, ha,
                originCas, originCaLabel, allow, deny, metrics,
                duration(cmd.gracePeriod, "--grace-period", f.gracePeriod(), DEFAULT_GRACE),
                hbInterval, hbTimeout,
                threads,
                cmd.logLevel != null ? Logs.parseLevel(cmd.logLevel) : first(f.logLevel(), Level.INFO),
                cmd.logFormat != null ? Logs.parseFormat(cmd.logFormat) : first(f.logFormat(), Logs.Format.TEXT),
                f.warnings());
    }

    /**
     * The heartbeat timeout must be greater than the interval (else a link is declared silent before, or as, it
     * is pinged). The refusal is worded after the setting the operator gave: the timeout's, unless only the
     * interval was given; each named as a flag, a key of the --config file or a default.
     */
    private static IllegalArgumentException heartbeatRefusal(RunCommand cmd, ConfigFile.Values f, Duration interval,
                                                             Duration timeout) {
        Source t = Source.of(cmd.heartbeatTimeout != null, f.heartbeatTimeout() != null, cmd.configFile);
        Source i = Source.of(cmd.heartbeatInterval != null, f.heartbeatInterval() != null, cmd.configFile);
        if (t == Source.DEFAULT && i != Source.DEFAULT) {
            return new IllegalArgumentException(i.prefix("heartbeat-interval", cmd.configFile)
                    + ": must be less than the heartbeat timeout, got " + Durations.show(interval) + " and "
                    + t.describe("heartbeat-timeout", timeout, cmd.configFile, i));
        }
        return new IllegalArgumentException(t.prefix("heartbeat-timeout", cmd.configFile)
                + ": must be greater than the heartbeat interval, got " + Durations.show(timeout) + " and "
                + i.describe("heartbeat-interval", interval, cmd.configFile, t));
    }

    /** Where a setting's value came from. */
    private enum Source {
        FLAG, FILE, DEFAULT;

        static Source of(boolean flag, boolean file, Path configFile) {
            return flag ? FLAG : file && configFile != null ? FILE : DEFAULT;
        }

        /** How an error about the setting {@code key} starts, like the other refusals of its kind. */
        String prefix(String key, Path configFile) {
            return this == FILE ? ConfigFile.label(configFile, key) : "--" + key;
        }

        /** The other setting of an error whose own setting came from {@code from}. */
        String describe(String key, Duration value, Path configFile, Source from) {
            return switch (this) {
                case FLAG -> "--" + key + " " + Durations.show(value);
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

    private static <T> T first(T flag, T file) {
        return flag != null ? flag : file;
    }

    private static <T> T first(T flag, T file, T dflt) {
        return flag != null ? flag : file != null ? file : dflt;
    }

    private static Duration duration(String flag, String name, Duration file, Duration dflt) {
        return duration(flag, name, file, dflt, Duration.ZERO);
    }

    /** The flag's value (at least {@code min}), else the file's (checked when the file was read), else the default. */
    private static Duration duration(String flag, String name, Duration file, Duration dflt, Duration min) {
        return flag != null ? Durations.parse(flag, name, min, Durations.MAX) : file != null ? file : dflt;
    }

    private static List<String> cidrs(List<String> flag, String name, List<String> file) {
        if (flag.isEmpty()) {
            return List.copyOf(file);
        }
        CidrPolicy.parse(flag, name); // validates only; the strings are kept
        return List.copyOf(flag);
    }
}
