package dev.vpctunnel.edge.routing;

import java.util.List;
import java.util.UUID;

/** Read-only view of the live links of this edge, for the admin API. */
public interface LinkRegistry {
    /** The live links of a tunnel on this edge, empty when none. */
    List<LinkInfo> links(UUID tunnelId);

    LinkRegistry NONE = tunnelId -> List.of();
}
