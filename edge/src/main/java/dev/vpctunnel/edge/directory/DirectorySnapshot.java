package dev.vpctunnel.edge.directory;

import java.net.InetAddress;
import java.util.Optional;
import java.util.UUID;

/** An immutable view of the directory, read on the hot path without blocking. */
public interface DirectorySnapshot {
    Optional<TunnelRecord> tunnel(UUID id);

    /** Gateway tokens are stored hashed; the lookup hashes the given token. */
    Optional<WorkerRecord> workerByGatewayToken(String token);

    Optional<ServiceRecord> service(UUID id);

    /** teamnet routes of the account: the tunnel of the longest prefix holding the address (v4 and v6). */
    Optional<UUID> routeTunnel(String accountId, InetAddress address);

    /** The tunnel of the most specific hostname route: exact beats "*.x", longer suffix wins; case-insensitive. */
    Optional<UUID> hostnameRouteTunnel(String accountId, String hostname);
}
