package dev.vpctunnel.edge.workerd;

import dev.vpctunnel.edge.config.WranglerConfig;
import dev.vpctunnel.edge.config.WranglerConfigException;
import tools.jackson.databind.JsonNode;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * What workerd needs from a wrangler file beyond the VPC bindings: the worker's modules (the main module first, then
 * every module file under the main module's folder, so that relative imports resolve; node_modules and dot folders
 * skipped), {@code compatibility_date}, {@code compatibility_flags} and {@code vars}.
 */
public record WorkerSource(WranglerConfig wrangler, List<WorkerModule> modules, String compatibilityDate,
                           List<String> compatibilityFlags, Map<String, JsonNode> vars) {
    /** Used when the file has no compatibility_date. */
    public static final String DEFAULT_COMPATIBILITY_DATE = "2025-09-01";
    static final int MAX_MODULES = 500;
    private static final Pattern DATE = Pattern.compile("\\d{4}-\\d{2}-\\d{2}");

    public WorkerSource {
        modules = List.copyOf(modules);
        compatibilityFlags = List.copyOf(compatibilityFlags);
        vars = Collections.unmodifiableMap(new LinkedHashMap<>(vars));
    }

    /** Reads the wrangler file (bindings validated as by edge deploy) and finds the worker's modules. */
    public static WorkerSource read(Path file) {
        JsonNode root = WranglerConfig.tree(file);
        WranglerConfig cfg = WranglerConfig.of(root, file);
        Path main = cfg.main();
        if (main == null) {
            throw new WranglerConfigException(file + ": main: is required (the worker's entry module, e.g. \"src/index.js\")");
        }
        if (!Files.isRegularFile(main)) {
            throw new WranglerConfigException(file + ": main: " + main + " does not exist");
        }
        if (WorkerModule.kindOf(main).orElse(null) != WorkerModule.Kind.ES_MODULE) {
            throw new WranglerConfigException(file + ": main: " + main.getFileName()
                    + " is not a JavaScript module (.js or .mjs); build TypeScript first and point main at the output");
        }
        return new WorkerSource(cfg, modules(main), date(root, file), flags(root, file), vars(root, file));
    }

    static List<WorkerModule> modules(Path main) {
        Path dir = main.toAbsolutePath().getParent();
        List<WorkerModule> out = new ArrayList<>();
        out.add(new WorkerModule(main.getFileName().toString(), main.toAbsolutePath(), WorkerModule.Kind.ES_MODULE));
        List<Path> files;
        try (Stream<Path> walk = Files.walk(dir)) {
            files = walk.filter(Files::isRegularFile)
                    .filter(p -> !skipped(dir.relativize(p)))
                    .filter(p -> WorkerModule.kindOf(p).isPresent())
                    .filter(p -> !p.equals(main.toAbsolutePath()))
                    .sorted()
                    .limit(MAX_MODULES + 1L)
                    .toList();
        } catch (IOException | RuntimeException e) {
            throw new WranglerConfigException(dir + ": cannot list the worker's modules (" + e.getMessage() + ")");
        }
        if (files.size() > MAX_MODULES) {
            throw new WranglerConfigException(dir + ": more than " + MAX_MODULES
                    + " module files next to main; bundle the worker (e.g. with esbuild) and point main at the bundle");
        }
        for (Path p : files) {
            String name = dir.relativize(p).toString().replace('\\', '/');
            out.add(new WorkerModule(name, p, WorkerModule.kindOf(p).orElseThrow()));
        }
        return out;
    }

    private static boolean skipped(Path rel) {
        for (Path part : rel) {
            String s = part.toString();
            if (s.equals("node_modules") || (s.startsWith(".") && !s.equals("."))) {
                return true;
            }
        }
        String last = rel.getFileName().toString();
        return last.equals("package.json") || last.equals("package-lock.json") || last.startsWith("wrangler.")
                || last.equals("tsconfig.json");
    }

    private static String date(JsonNode root, Path file) {
        JsonNode d = root.get("compatibility_date");
        if (d == null || d.isNull()) {
            return DEFAULT_COMPATIBILITY_DATE;
        }
        String s = d.isString() ? d.stringValue() : d.toString();
        if (!DATE.matcher(s).matches()) {
            throw new WranglerConfigException(file + ": compatibility_date: '" + s + "' is not a date (YYYY-MM-DD)");
        }
        return s;
    }

    private static List<String> flags(JsonNode root, Path file) {
        JsonNode f = root.get("compatibility_flags");
        List<String> out = new ArrayList<>();
        if (f == null || f.isNull()) {
            return out;
        }
        if (!f.isArray()) {
            throw new WranglerConfigException(file + ": compatibility_flags: must be an array of strings");
        }
        for (JsonNode x : f) {
            if (!x.isString()) {
                throw new WranglerConfigException(file + ": compatibility_flags: must be an array of strings");
            }
            out.add(x.stringValue());
        }
        return out;
    }

    private static Map<String, JsonNode> vars(JsonNode root, Path file) {
        JsonNode v = root.get("vars");
        Map<String, JsonNode> out = new LinkedHashMap<>();
        if (v == null || v.isNull()) {
            return out;
        }
        if (!v.isObject()) {
            throw new WranglerConfigException(file + ": vars: must be an object (name: value)");
        }
        for (Map.Entry<String, JsonNode> e : v.properties()) {
            out.put(e.getKey(), e.getValue());
        }
        return out;
    }
}
