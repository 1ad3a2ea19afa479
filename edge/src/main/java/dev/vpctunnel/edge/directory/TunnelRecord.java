package dev.vpctunnel.edge.directory;

import java.time.Instant;
import java.util.UUID;

/** A tunnel of an account: its id and the 32-byte secret that connectors prove they know. */
public record TunnelRecord(UUID id, String accountId, String name, byte[] secret, Instant createdAt) {
    @Override
    public String toString() {
        return "TunnelRecord[id=" + id + ", account=" + accountId + ", name=" + name + ", secret=<redacted>]";
    }
}
