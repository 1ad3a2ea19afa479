package dev.vpctunnel.edge.link;

import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletionStage;

/** Where the edge looks up a tunnel's secret when a connector registers. */
@FunctionalInterface
public interface TunnelAuthority {
    /**
     * The secret of the tunnel in that account, empty when no such tunnel exists there. Called on an event loop: it
     * must not block; a lookup in a store completes the stage later, on a thread of its own (failed: the store cannot
     * be read now).
     */
    CompletionStage<Optional<byte[]>> secret(UUID tunnelId, String accountId);
}
