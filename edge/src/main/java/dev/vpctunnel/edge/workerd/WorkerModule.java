package dev.vpctunnel.edge.workerd;

import java.nio.file.Path;
import java.util.Locale;
import java.util.Optional;

/**
 * One module of the worker: its name as the worker imports it (relative to the main module's folder, '/'
 * separated), the file, and the capnp field that holds it in a {@code Workerd.Worker.Module}.
 */
public record WorkerModule(String name, Path file, Kind kind) {
    public enum Kind {
        ES_MODULE("esModule"),
        COMMON_JS("commonJsModule"),
        TEXT("text"),
        DATA("data"),
        WASM("wasm"),
        JSON("json");

        private final String field;

        Kind(String field) {
            this.field = field;
        }

        /** The field of Workerd.Worker.Module. */
        public String field() {
            return field;
        }
    }

    /** The kind a file gets by its extension (wrangler's default module rules, plus .json); empty: not a module. */
    public static Optional<Kind> kindOf(Path file) {
        String n = file.getFileName().toString().toLowerCase(Locale.ROOT);
        if (n.endsWith(".js") || n.endsWith(".mjs")) {
            return Optional.of(Kind.ES_MODULE);
        }
        if (n.endsWith(".cjs")) {
            return Optional.of(Kind.COMMON_JS);
        }
        if (n.endsWith(".txt") || n.endsWith(".html") || n.endsWith(".sql")) {
            return Optional.of(Kind.TEXT);
        }
        if (n.endsWith(".bin")) {
            return Optional.of(Kind.DATA);
        }
        if (n.endsWith(".wasm")) {
            return Optional.of(Kind.WASM);
        }
        if (n.endsWith(".json")) {
            return Optional.of(Kind.JSON);
        }
        return Optional.empty();
    }
}
