package dev.vpctunnel.edge.directory;

import java.time.Instant;
import java.util.UUID;

/** A teamnet route: a CIDR of the private network reached through a tunnel. */
public record RouteRecord(UUID id, String accountId, Cidr network, UUID tunnelId, String comment, Instant createdAt) {
}
