package dev.vpctunnel.edge.config;

import dev.vpctunnel.core.InputFiles;
import dev.vpctunnel.edge.directory.Names;
import dev.vpctunnel.edge.directory.NetworkBinding;
import tools.jackson.core.JacksonException;
import tools.jackson.core.StreamReadFeature;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;
import tools.jackson.dataformat.toml.TomlMapper;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A worker's wrangler.jsonc (comments and trailing commas allowed) or wrangler.toml: its name (null when absent),
 * its main module
 * (resolved against the file's folder; null when absent) and its vpc_services / vpc_networks bindings.
 * Other top-level keys of wrangler are ignored; unknown keys inside a binding are refused.
 */
public record WranglerConfig(Path file, String name, Path main, List<Binding> bindings) {
    public WranglerConfig {
        bindings = List.copyOf(bindings);
    }

    /** A binding of the file, in declaration order (vpc_services first, then vpc_networks). */
    public sealed interface Binding permits VpcService, VpcNetwork {
        String binding();

        boolean remote();
    }

    public record VpcService(String binding, UUID serviceId, boolean remote) implements Binding {
    }

    /** Exactly one of tunnelId or networkId ("cf1:network") is set. */
    public record VpcNetwork(String binding, UUID tunnelId, String networkId, boolean remote) implements Binding {
    }

    /** TOML forbids duplicate keys and its parser refuses them itself; the flag is set for the same intent. */
    private static final ObjectMapper TOML = TomlMapper.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .build();
    private static final Pattern TOML_KEY = Pattern.compile("^\\s*(?:\"([^\"]*)\"|'([^']*)'|([A-Za-z0-9_.\\-]+))\\s*=");

    /** How the commands that read this file (deploy, workerd-config) take it; read errors start with it. */
    private static final String FLAG = "--config";

    /** The worker's name, or the exception that says the file lacks it. */
    public String requireName() {
        if (name == null) {
            throw new WranglerConfigException(file + ": name: is required (the worker's name; or pass --name)");
        }
        return name;
    }

    /**
     * file, or when null the wrangler.json, wrangler.jsonc or wrangler.toml of the current folder (the first that
     * exists, in wrangler's order), as wrangler finds its configuration.
     */
    public static Path find(Path file) {
        if (file != null) {
            return file;
        }
        for (String n : List.of("wrangler.json", "wrangler.jsonc", "wrangler.toml")) {
            if (java.nio.file.Files.isRegularFile(Path.of(n))) {
                return Path.of(n);
            }
        }
        throw new WranglerConfigException("no --config given, and no wrangler.json, wrangler.jsonc or wrangler.toml in "
                + Path.of("").toAbsolutePath());
    }

    public static WranglerConfig read(Path file) {
        return of(tree(file), file);
    }

    /** Parses text; the format follows the file name (.toml is TOML, anything else JSONC). */
    public static WranglerConfig parse(String text, Path file) {
        return of(tree(text, file), file);
    }

    /**
     * Reads and parses the file into its tree, with no check of its content; {@link #of} checks it. For callers that
     * want more of the file than this record holds, so that the file is read and parsed once.
     */
    public static JsonNode tree(Path file) {
        String text;
        try {
            text = InputFiles.read(file, FLAG, InputFiles.TEXT_MAX);
        } catch (IllegalArgumentException e) {
            throw new WranglerConfigException(e.getMessage());
        }
        return tree(text, file);
    }

    private static JsonNode tree(String text, Path file) {
        boolean toml = file.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".toml");
        if (text.startsWith("\uFEFF")) { // a UTF-8 byte-order mark, as some Windows editors write (the API accepts it)
            text = text.substring(1);
        }
        try {
            return (toml ? TOML : Jsonc.MAPPER).readTree(text);
        } catch (JacksonException e) {
            Duplicate twice = duplicateKey(e, text, toml);
            if (twice != null) {
                throw new WranglerConfigException(twice.describe(file));
            }
            throw new WranglerConfigException(file + ": not valid " + (toml ? "TOML" : "JSONC") + " ("
                    + Jsonc.reason(e) + ")");
        }
    }

    /** A key given twice and the line of the second one (0: unknown). */
    private record Duplicate(String key, int line) {
        String describe(Path file) {
            return file + ": " + key + ": the key is given twice" + (line > 0 ? " (line " + line + ")" : "");
        }
    }

    /** The key a parse error says is duplicated, or null when the error is about something else. */
    private static Duplicate duplicateKey(JacksonException e, String text, boolean toml) {
        String m = String.valueOf(e.getOriginalMessage());
        int line = e.getLocation() == null ? 0 : Math.max(0, e.getLocation().getLineNr());
        if (!toml) {
            // JSONC: a key given twice is refused (by default the last one wins: a second "vpc_services": [] dropped them all)
            String key = Jsonc.duplicateKey(e);
            return key == null ? null : new Duplicate(key, line);
        }
        if (!m.startsWith("Duplicate key")) {
            return null;
        }
        // The TOML parser says neither which key nor reliably where: find the first key given twice in one table.
        Set<String> tables = new HashSet<>();
        Set<String> keys = new HashSet<>();
        String[] lines = text.split("\\R", -1);
        for (int i = 0; i < lines.length; i++) {
            String l = lines[i].strip();
            if (l.startsWith("[[")) {
                keys.clear();
            } else if (l.startsWith("[")) {
                keys.clear();
                int end = l.indexOf(']');
                String table = end < 0 ? l : l.substring(1, end).strip();
                if (!tables.add(table)) {
                    return new Duplicate(table, i + 1);
                }
            } else {
                Matcher k = TOML_KEY.matcher(l);
                if (k.find()) {
                    String key = k.group(1) != null ? k.group(1) : k.group(2) != null ? k.group(2) : k.group(3);
                    if (!keys.add(key)) {
                        return new Duplicate(key, i + 1);
                    }
                }
            }
        }
        return new Duplicate("(a key)", line);
    }

    /** The config of a tree from {@link #tree(Path)} of file (file names it in messages and resolves main). */
    public static WranglerConfig of(JsonNode root, Path file) {
        if (root == null || !root.isObject()) {
            throw new WranglerConfigException(file + ": the top level must be an object");
        }
        String name = string(root, "name", file, "");
        if (name != null && !Names.isWorkerName(name)) {
            throw new WranglerConfigException(file + ": name: '" + name
                    + "' is not a valid worker name (letters, digits, '-', '_'; 1-63)");
        }
        String main = string(root, "main", file, "");
        Path mainPath = main == null ? null : file.toAbsolutePath().getParent().resolve(main).normalize();
        for (String key : root.propertyNames()) {
            if (key.startsWith("vpc_") && !key.equals("vpc_services") && !key.equals("vpc_networks")) {
                // a misspelt binding list would deploy the worker with none (and remove the ones it had)
                throw new WranglerConfigException(file + ": " + key + ": not a binding list of this tool (vpc_services or vpc_networks"
                        + (key.startsWith("vpc_service") ? ": did you mean vpc_services?)" : key.startsWith("vpc_network")
                        ? ": did you mean vpc_networks?)" : ")"));
            }
        }
        List<Binding> bindings = new ArrayList<>();
        Set<String> names = new HashSet<>();
        for (JsonNode b : entries(root, "vpc_services", file)) {
            bindings.add(service(b, file, "vpc_services[" + bindings.size() + "]", names));
        }
        int services = bindings.size();
        for (JsonNode b : entries(root, "vpc_networks", file)) {
            bindings.add(network(b, file, "vpc_networks[" + (bindings.size() - services) + "]", names));
        }
        return new WranglerConfig(file, name, mainPath, bindings);
    }

    private static List<JsonNode> entries(JsonNode root, String key, Path file) {
        JsonNode arr = root.get(key);
        List<JsonNode> out = new ArrayList<>();
        if (arr == null || arr.isNull()) {
            return out;
        }
        if (!arr.isArray()) {
            throw new WranglerConfigException(file + ": " + key + ": must be an array"
                    + (file.toString().endsWith(".toml") ? " of tables ([[" + key + "]])" : ""));
        }
        arr.forEach(out::add);
        return out;
    }

    private static String where(Path file, String path, JsonNode b) {
        JsonNode n = b.get("binding");
        return file + ": " + path + (n != null && n.isString() ? " (binding " + n.stringValue() + ")" : "") + ": ";
    }

    private static String checkCommon(JsonNode b, Path file, String path, Set<String> allowed, Set<String> names) {
        if (!b.isObject()) {
            throw new WranglerConfigException(file + ": " + path + ": must be an object");
        }
        for (String k : b.propertyNames()) {
            if (!allowed.contains(k)) {
                throw new WranglerConfigException(where(file, path, b) + k + ": unknown key (allowed: "
                        + String.join(", ", allowed.stream().sorted().toList()) + ")");
            }
        }
        String binding = string(b, "binding", file, path);
        if (binding == null) {
            throw new WranglerConfigException(file + ": " + path + ": binding: is required (the name of env.BINDING)");
        }
        if (!Names.isJsIdentifier(binding)) {
            throw new WranglerConfigException(where(file, path, b) + "binding: '" + binding
                    + "' is not a valid JavaScript identifier");
        }
        if (!names.add(binding)) {
            throw new WranglerConfigException(where(file, path, b) + "binding: the name is used by another binding");
        }
        JsonNode remote = b.get("remote");
        if (remote != null && !remote.isNull() && !remote.isBoolean()) {
            throw new WranglerConfigException(where(file, path, b) + "remote: must be true or false");
        }
        return binding;
    }

    private static VpcService service(JsonNode b, Path file, String path, Set<String> names) {
        String binding = checkCommon(b, file, path, Set.of("binding", "service_id", "remote"), names);
        String id = string(b, "service_id", file, path);
        if (id == null) {
            throw new WranglerConfigException(where(file, path, b) + "service_id: is required");
        }
        return new VpcService(binding, uuid(id, where(file, path, b) + "service_id"), b.path("remote").asBoolean(false));
    }

    private static VpcNetwork network(JsonNode b, Path file, String path, Set<String> names) {
        String binding = checkCommon(b, file, path, Set.of("binding", "tunnel_id", "network_id", "remote"), names);
        String tunnel = string(b, "tunnel_id", file, path);
        String network = string(b, "network_id", file, path);
        if ((tunnel == null) == (network == null)) {
            throw new WranglerConfigException(where(file, path, b) + "exactly one of tunnel_id or network_id is required");
        }
        if (network != null && !NetworkBinding.ACCOUNT_NETWORK.equals(network)) {
            throw new WranglerConfigException(where(file, path, b) + "network_id: only \""
                    + NetworkBinding.ACCOUNT_NETWORK + "\" is supported (got \"" + network + "\")");
        }
        UUID t = tunnel == null ? null : uuid(tunnel, where(file, path, b) + "tunnel_id");
        return new VpcNetwork(binding, t, network, b.path("remote").asBoolean(false));
    }

    private static String string(JsonNode n, String key, Path file, String path) {
        JsonNode v = n.get(key);
        if (v == null || v.isNull()) {
            return null;
        }
        if (!v.isString()) {
            throw new WranglerConfigException((path.isEmpty() ? file + ": " : where(file, path, n)) + key + ": must be a string");
        }
        return v.stringValue();
    }

    private static UUID uuid(String s, String where) {
        try {
            if (s.length() == 36) {
                return UUID.fromString(s);
            }
        } catch (IllegalArgumentException ignored) {
            // below
        }
        throw new WranglerConfigException(where + ": '" + s + "' is not a UUID");
    }
}
