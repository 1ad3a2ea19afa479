package dev.vpctunnel.edge.directory;

import java.time.Instant;
import java.util.List;
import java.util.UUID;

/** A syntactically valid service body (ports already effective); the directory checks the tunnel and limits. */
public record ServiceSpec(String name, Integer httpPort, Integer httpsPort, String ipv4, String ipv6, String hostname,
                          UUID tunnelId, List<String> resolverIps) {
    public ServiceSpec {
        resolverIps = resolverIps == null ? List.of() : List.copyOf(resolverIps);
    }

    /** The JSON path of the tunnel id in the body, for error messages. */
    public String tunnelField() {
        return hostname != null ? "host.resolver_network.tunnel_id" : "host.network.tunnel_id";
    }

    /** The stored service of this spec. */
    ServiceRecord record(UUID id, String account, Instant created, Instant updated) {
        return new ServiceRecord(id, account, name, httpPort, httpsPort, ipv4, ipv6, hostname, tunnelId, resolverIps,
                created, updated);
    }
}
