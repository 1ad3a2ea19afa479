package dev.vpctunnel.edge.directory;

import java.util.UUID;

/** A vpc_network binding: a tunnel, or (tunnelId null) the whole account network "cf1:network". */
public record NetworkBinding(String name, UUID tunnelId) implements BindingRecord {
    public static final String ACCOUNT_NETWORK = "cf1:network";
}
