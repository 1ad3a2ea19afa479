package dev.vpctunnel.edge.link;

import java.util.Optional;
import java.util.UUID;

/** Where the edge looks up a tunnel's secret when a connector registers. */
@FunctionalInterface
public interface TunnelAuthority {
    /** The secret of the tunnel in that account, empty when no such tunnel exists there. */
    Optional<byte[]> secret(UUID tunnelId, String accountId);
}
