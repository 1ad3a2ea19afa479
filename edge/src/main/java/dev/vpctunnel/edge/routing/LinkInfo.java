package dev.vpctunnel.edge.routing;

import java.time.Instant;
import java.util.UUID;

/** What the admin API shows of one live link (GET /cfd_tunnel/{id}/connections). */
public record LinkInfo(UUID tunnelId, String connectorId, int linkIndex, String edgeId, Instant openedAt,
                       String version, String remoteAddress, int openStreams, boolean draining) {
}
