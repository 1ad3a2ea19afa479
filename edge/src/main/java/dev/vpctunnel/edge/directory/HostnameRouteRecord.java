package dev.vpctunnel.edge.directory;

import java.time.Instant;
import java.util.UUID;

/** A hostname route: "db.internal" or "*.corp.internal" (stored lower case) reached through a tunnel. */
public record HostnameRouteRecord(UUID id, String accountId, String hostname, UUID tunnelId, String comment,
                                  Instant createdAt) {
}
