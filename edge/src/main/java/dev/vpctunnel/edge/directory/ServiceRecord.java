package dev.vpctunnel.edge.directory;

import java.time.Instant;
import java.util.List;
import java.util.UUID;

/**
 * A VPC service. Ports are stored effective: both absent in the body gives 80 and 443; only one given leaves the
 * other null (that scheme is refused). tunnelId is host.network.tunnel_id or host.resolver_network.tunnel_id;
 * resolverIps is empty when absent. Either ipv4 and/or ipv6 is set, or hostname is.
 */
public record ServiceRecord(UUID id, String accountId, String name, Integer httpPort, Integer httpsPort,
                            String ipv4, String ipv6, String hostname, UUID tunnelId, List<String> resolverIps,
                            Instant createdAt, Instant updatedAt) {
    public ServiceRecord {
        resolverIps = resolverIps == null ? List.of() : List.copyOf(resolverIps);
    }
}
