package dev.vpctunnel.edge.directory;

import java.util.Map;

/** A worker and its bindings by name (iteration order = declaration order). */
public record WorkerRecord(String accountId, String name, Map<String, BindingRecord> bindings) {
}
