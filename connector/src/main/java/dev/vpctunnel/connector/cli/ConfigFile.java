package dev.vpctunnel.connector.cli;

import dev.vpctunnel.connector.policy.Cidr;
import dev.vpctunnel.core.InputFiles;
import dev.vpctunnel.core.link.Durations;
import dev.vpctunnel.core.log.Logs;
import dev.vpctunnel.core.net.Transports;
import tools.jackson.core.JacksonException;
import tools.jackson.core.StreamReadFeature;
import tools.jackson.databind.JsonNode;
import tools.jackson.dataformat.yaml.YAMLMapper;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.logging.Level;

/**
 * {@code connector run --config connector.yaml}: the same keys as the run flags (without the dashes in front),
 * parsed and validated eagerly. Every refusal names the file, the key and the reason. Relative paths are relative
 * to the file's folder. The file never has to hold the token: {@code token-file} (or TUNNEL_TOKEN) is the way.
 */
final class ConfigFile {
    /** Every key the file may hold, in the order the docs list them. */
    static final List<String> KEYS = List.of("edges", "edge-ca", "ha-connections", "origin-ca", "allow", "deny",
            "metrics-listen", "grace-period", "heartbeat-interval", "heartbeat-timeout", "threads", "log-level",
            "log-format", "token-file", "token");

    private static final YAMLMapper YAML = YAMLMapper.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION).build();

    /** What the file said; null (or an empty list) where it said nothing. */
    record Values(List<InetSocketAddress> edges, Path edgeCa, Integer haConnections, List<Path> originCas,
                  List<String> allow, List<String> deny, String metricsListen, Duration gracePeriod,
                  Duration heartbeatInterval, Duration heartbeatTimeout, Integer threads, Level logLevel,
                  Logs.Format logFormat, Path tokenFile, String token, List<String> warnings) {
        static final Values EMPTY = new Values(List.of(), null, null, List.of(), List.of(), List.of(), null, null,
                null, null, null, null, null, null, null, List.of());
    }

    /** Passed as the "what" of the shared parsers, whose messages start with it: stripped again in wrap(). */
    private static final String NO_PREFIX = "\u0000";
    private final Path file;
    private final Path dir;

    private ConfigFile(Path file) {
        this.file = file;
        Path parent = file.toAbsolutePath().getParent();
        this.dir = parent == null ? Path.of(".") : parent;
    }

    /** Reads and validates {@code file}; throws IllegalArgumentException with "FILE: key 'K': reason". */
    static Values load(Path file) {
        return new ConfigFile(file).parse(InputFiles.read(file, "--config", InputFiles.TEXT_MAX));
    }

    /** Parses YAML text as if it came from {@code file} (tests use this). */
    static Values parse(Path file, String text) {
        return new ConfigFile(file).parse(text);
    }

    private Values parse(String text) {
        JsonNode root;
        try {
            root = YAML.readTree(text);
        } catch (JacksonException e) {
            String where = e.getLocation() == null ? "" : " at line " + e.getLocation().getLineNr();
            throw new IllegalArgumentException(file + ": not valid YAML" + where + ": " + firstLine(e.getOriginalMessage()));
        }
        if (root == null || root.isMissingNode() || root.isNull()) {
            return Values.EMPTY;
        }
        if (!root.isObject()) {
            throw new IllegalArgumentException(file + ": expected a mapping of keys (edges:, edge-ca:, ...) at the top");
        }
        for (Map.Entry<String, JsonNode> e : root.properties()) {
            if (!KEYS.contains(e.getKey())) {
                throw new IllegalArgumentException(file + ": unknown key '" + e.getKey() + "' (known keys: "
                        + String.join(", ", KEYS) + ")");
            }
            if (e.getValue().isNull()) {
                throw fail(e.getKey(), "has no value (remove the key or give it one)");
            }
        }
        List<String> warnings = new ArrayList<>();
        String token = root.has("token") ? scalar(root, "token") : null;
        Path tokenFile = root.has("token-file") ? path(root, "token-file") : null;
        if (token != null && tokenFile != null) {
            throw fail("token", "set token-file or token, not both");
        }
        if (token != null) {
            warnings.add(file + " holds the tunnel token itself (key 'token'): anyone who can read this file can run"
                    + " the tunnel; prefer token-file (chmod 600) or the environment variable TUNNEL_TOKEN"
                    + (readableByOthers(file) ? "; and this file is readable by other users: chmod 600 " + file : ""));
        }
        return new Values(edges(root), root.has("edge-ca") ? path(root, "edge-ca") : null,
                root.has("ha-connections") ? integer(root, "ha-connections", 1, 64) : null,
                paths(root, "origin-ca"), cidrs(root, "allow"), cidrs(root, "deny"), metricsListen(root),
                duration(root, "grace-period"), duration(root, "heartbeat-interval", dev.vpctunnel.core.link.LinkHeartbeat.MIN_INTERVAL),
                duration(root, "heartbeat-timeout"),
                root.has("threads") ? integer(root, "threads", 0, 1024) : null,
                root.has("log-level") ? wrap("log-level", () -> Logs.parseLevel(scalar(root, "log-level"))) : null,
                root.has("log-format") ? wrap("log-format", () -> Logs.parseFormat(scalar(root, "log-format"))) : null,
                tokenFile, token, List.copyOf(warnings));
    }

    private IllegalArgumentException fail(String key, String reason) {
        return new Refusal(label(file, key) + ": " + reason);
    }

    /** A refusal that already names the file and the key. */
    private static final class Refusal extends IllegalArgumentException {
        Refusal(String message) {
            super(message);
        }
    }

    private <T> T wrap(String key, java.util.function.Supplier<T> parse) {
        try {
            return parse.get();
        } catch (Refusal e) {
            throw e;
        } catch (IllegalArgumentException e) {
            String m = String.valueOf(e.getMessage());
            throw fail(key, m.startsWith(NO_PREFIX + ": ") ? m.substring(NO_PREFIX.length() + 2) : m);
        }
    }

    /** A scalar as text: strings as they are, numbers and booleans as written. */
    private String scalar(JsonNode root, String key) {
        JsonNode n = root.get(key);
        if (!n.isValueNode()) {
            throw fail(key, "expected a single value, got a " + (n.isArray() ? "list" : "mapping"));
        }
        String s = n.asString().trim();
        if (s.isEmpty()) {
            throw fail(key, "is empty");
        }
        return s;
    }

    /** A list of scalars; a single scalar is a list of one, split at commas like the flags. */
    private List<String> list(JsonNode root, String key) {
        if (!root.has(key)) {
            return List.of();
        }
        JsonNode n = root.get(key);
        List<String> out = new ArrayList<>();
        if (n.isArray()) {
            int i = 0;
            for (JsonNode item : n) {
                if (!item.isValueNode() || item.isNull() || item.asString().isBlank()) {
                    throw fail(key, "item " + (i + 1) + " must be a single non-empty value");
                }
                out.add(item.asString().trim());
                i++;
            }
        } else {
            for (String part : scalar(root, key).split(",")) {
                if (!part.isBlank()) {
                    out.add(part.trim());
                }
            }
        }
        if (out.isEmpty()) {
            throw fail(key, "is an empty list (remove the key or give it values)");
        }
        return out;
    }

    private List<InetSocketAddress> edges(JsonNode root) {
        List<InetSocketAddress> out = new ArrayList<>();
        for (String s : list(root, "edges")) {
            out.add(wrap("edges", () -> Transports.parseHostPort(s, NO_PREFIX)));
        }
        return out;
    }

    private List<String> cidrs(JsonNode root, String key) {
        List<String> out = list(root, key);
        for (String s : out) {
            wrap(key, () -> Cidr.parse(s));
        }
        return out;
    }

    private String metricsListen(JsonNode root) {
        if (!root.has("metrics-listen")) {
            return null;
        }
        String s = scalar(root, "metrics-listen");
        wrap("metrics-listen", () -> RunSettings.listenAddress(s, NO_PREFIX));
        return s;
    }

    private Duration duration(JsonNode root, String key) {
        return duration(root, key, Duration.ZERO);
    }

    private Duration duration(JsonNode root, String key, Duration min) {
        return root.has(key) ? wrap(key, () -> Durations.parse(scalar(root, key), NO_PREFIX, min, Durations.MAX)) : null;
    }

    private Integer integer(JsonNode root, String key, int min, int max) {
        JsonNode n = root.get(key);
        if (!n.isIntegralNumber() || !n.canConvertToInt()) {
            throw fail(key, "expected a whole number, got '" + (n.isValueNode() ? n.asString() : n.toString()) + "'");
        }
        int v = n.intValue();
        if (v < min || v > max) {
            throw fail(key, "must be " + min + "-" + max + ", got " + v);
        }
        return v;
    }

    /**
     * A file key's value, resolved against the config file's directory. Not checked here: a flag or the environment
     * may override it, and only the file actually used is read (refusals then name this file and the key).
     */
    private Path path(JsonNode root, String key) {
        return dir.resolve(scalar(root, key)).normalize();
    }

    private List<Path> paths(JsonNode root, String key) {
        List<Path> out = new ArrayList<>();
        for (String s : list(root, key)) {
            out.add(dir.resolve(s).normalize());
        }
        return out;
    }

    /** How refusals about the file named by {@code key} of {@code configFile} start: "FILE: key 'K'". */
    static String label(Path configFile, String key) {
        return configFile + ": key '" + key + "'";
    }

    static boolean readableByOthers(Path f) {
        try {
            Set<PosixFilePermission> perms = Files.getPosixFilePermissions(f);
            return perms.contains(PosixFilePermission.OTHERS_READ) || perms.contains(PosixFilePermission.GROUP_READ);
        } catch (IOException | UnsupportedOperationException e) {
            return false;
        }
    }

    private static String firstLine(String s) {
        if (s == null) {
            return "syntax error";
        }
        int nl = s.indexOf('\n');
        return (nl < 0 ? s : s.substring(0, nl)).trim();
    }
}
