package dev.vpctunnel.edge.directory;

import java.util.UUID;

/** A vpc_service binding. */
public record ServiceBinding(String name, UUID serviceId) implements BindingRecord {
}
