package dev.vpctunnel.edge.directory;

import java.time.Instant;
import java.util.Set;

/** An admin API token; only the SHA-256 of its secret is kept. */
public record ApiTokenRecord(String id, String accountId, String name, Set<Role> roles, byte[] hash, Instant createdAt) {
    public ApiTokenRecord {
        roles = Set.copyOf(roles);
    }

    /** Admin implies every role. */
    public boolean has(Role role) {
        return roles.contains(Role.ADMIN) || roles.contains(role);
    }

    @Override
    public String toString() {
        return "ApiTokenRecord[id=" + id + ", account=" + accountId + ", name=" + name + ", roles=" + roles + "]";
    }
}
