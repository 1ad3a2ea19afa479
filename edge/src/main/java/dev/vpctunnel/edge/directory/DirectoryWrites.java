package dev.vpctunnel.edge.directory;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.UUID;
import java.util.stream.Collectors;

/** The SQL of every write; each method runs inside the caller's transaction. */
final class DirectoryWrites {
    private DirectoryWrites() {
    }

    static int update(Connection c, String sql, Object... args) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            for (int i = 0; i < args.length; i++) {
                ps.setObject(i + 1, args[i]);
            }
            return ps.executeUpdate();
        }
    }

    /** After a failed write; the caller drops the connection when this fails too. */
    static void rollbackQuietly(Connection c) {
        try {
            c.rollback();
        } catch (SQLException ignored) {
            // the connection is dropped by the caller
        }
    }

    static long count(Connection c, String sql, Object... args) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            for (int i = 0; i < args.length; i++) {
                ps.setObject(i + 1, args[i]);
            }
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        }
    }

    /** First statement of every write: serialises writers (also across edges sharing PostgreSQL). */
    static void bumpCounter(Connection c) throws SQLException {
        update(c, "UPDATE change_counter SET counter = counter + 1 WHERE id = 1");
    }

    static String firstAccount(Connection c) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT id FROM accounts ORDER BY created_at, id");
             ResultSet rs = ps.executeQuery()) {
            return rs.next() ? rs.getString(1) : null;
        }
    }

    static void insertAccount(Connection c, String id, Instant now) throws SQLException {
        update(c, "INSERT INTO accounts (id, created_at) VALUES (?, ?)", id, now.toEpochMilli());
    }

    static void insertApiToken(Connection c, ApiTokenRecord t) throws SQLException {
        String roles = t.roles().stream().map(Enum::name).sorted().collect(Collectors.joining(","));
        update(c, "INSERT INTO api_tokens (id, account_id, name, roles, hash, created_at) VALUES (?, ?, ?, ?, ?, ?)",
                t.id(), t.accountId(), t.name(), roles, HexFormat.of().formatHex(t.hash()), t.createdAt().toEpochMilli());
    }

    static void deleteApiToken(Connection c, String account, String id) throws SQLException {
        String admin = "%" + Role.ADMIN.name() + "%"; // roles holds sorted role names joined by commas
        if (count(c, "SELECT COUNT(*) FROM api_tokens WHERE id = ? AND account_id = ? AND roles LIKE ?", id, account,
                admin) > 0 && count(c, "SELECT COUNT(*) FROM api_tokens WHERE id <> ? AND account_id = ? AND roles LIKE ?",
                id, account, admin) == 0) {
            throw DirectoryException.conflict("token " + id + " is the account's last token with the "
                    + Role.ADMIN.label() + " role; create another one first (nothing could create tokens after it)");
        }
        deleteOne(c, "api_tokens", "token", account, id);
    }

    static void requireTunnel(Connection c, String account, UUID tunnel, String field) throws SQLException {
        if (count(c, "SELECT COUNT(*) FROM tunnels WHERE id = ? AND account_id = ?", tunnel.toString(), account) == 0) {
            throw DirectoryException.invalid(field + ": tunnel " + tunnel + " does not exist in this account");
        }
    }

    static void insertTunnel(Connection c, TunnelRecord t) throws SQLException {
        if (count(c, "SELECT COUNT(*) FROM tunnels WHERE account_id = ? AND name = ?", t.accountId(), t.name()) > 0) {
            throw DirectoryException.conflict("name: a tunnel named '" + t.name() + "' already exists");
        }
        update(c, "INSERT INTO tunnels (id, account_id, name, secret, created_at) VALUES (?, ?, ?, ?, ?)",
                t.id().toString(), t.accountId(), t.name(), Base64.getEncoder().encodeToString(t.secret()),
                t.createdAt().toEpochMilli());
    }

    static void deleteTunnel(Connection c, String account, UUID id) throws SQLException {
        String tid = id.toString();
        if (count(c, "SELECT COUNT(*) FROM tunnels WHERE id = ? AND account_id = ?", tid, account) == 0) {
            throw DirectoryException.notFound("tunnel " + id + " not found");
        }
        long users = count(c, "SELECT COUNT(*) FROM services WHERE tunnel_id = ? AND account_id = ?", tid, account);
        if (users > 0) {
            throw DirectoryException.conflict("tunnel " + id + " is used by " + users
                    + " service(s); delete or move them first");
        }
        update(c, "DELETE FROM routes WHERE tunnel_id = ? AND account_id = ?", tid, account);
        update(c, "DELETE FROM hostname_routes WHERE tunnel_id = ? AND account_id = ?", tid, account);
        update(c, "DELETE FROM tunnels WHERE id = ? AND account_id = ?", tid, account);
    }

    static void insertService(Connection c, ServiceRecord s, int max) throws SQLException {
        if (count(c, "SELECT COUNT(*) FROM services WHERE account_id = ?", s.accountId()) >= max) {
            throw new DirectoryException(DirectoryException.Kind.LIMIT,
                    "this account already has the maximum of " + max + " services; delete some first");
        }
        update(c, "INSERT INTO services (id, account_id, name, http_port, https_port, ipv4, ipv6, hostname, tunnel_id,"
                        + " resolver_ips, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                s.id().toString(), s.accountId(), s.name(), s.httpPort(), s.httpsPort(), s.ipv4(), s.ipv6(),
                s.hostname(), s.tunnelId().toString(), String.join(",", s.resolverIps()),
                s.createdAt().toEpochMilli(), s.updatedAt().toEpochMilli());
    }

    static Instant serviceCreatedAt(Connection c, String account, UUID id) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT created_at FROM services WHERE id = ? AND account_id = ?")) {
            ps.setString(1, id.toString());
            ps.setString(2, account);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    throw DirectoryException.notFound("service " + id + " not found");
                }
                return Instant.ofEpochMilli(rs.getLong(1));
            }
        }
    }

    static void updateService(Connection c, ServiceRecord s) throws SQLException {
        update(c, "UPDATE services SET name = ?, http_port = ?, https_port = ?, ipv4 = ?, ipv6 = ?, hostname = ?,"
                        + " tunnel_id = ?, resolver_ips = ?, updated_at = ? WHERE id = ? AND account_id = ?",
                s.name(), s.httpPort(), s.httpsPort(), s.ipv4(), s.ipv6(), s.hostname(), s.tunnelId().toString(),
                String.join(",", s.resolverIps()), s.updatedAt().toEpochMilli(), s.id().toString(), s.accountId());
    }

    static void deleteOne(Connection c, String table, String what, String account, String id) throws SQLException {
        if (update(c, "DELETE FROM " + table + " WHERE id = ? AND account_id = ?", id, account) == 0) {
            throw DirectoryException.notFound(what + " " + id + " not found");
        }
    }

    static void insertRoute(Connection c, RouteRecord r) throws SQLException {
        if (count(c, "SELECT COUNT(*) FROM routes WHERE account_id = ? AND network = ?", r.accountId(),
                r.network().toString()) > 0) {
            throw DirectoryException.conflict("network: a route for " + r.network() + " already exists");
        }
        update(c, "INSERT INTO routes (id, account_id, network, tunnel_id, note, created_at) VALUES (?, ?, ?, ?, ?, ?)",
                r.id().toString(), r.accountId(), r.network().toString(), r.tunnelId().toString(), r.comment(),
                r.createdAt().toEpochMilli());
    }

    static void insertHostnameRoute(Connection c, HostnameRouteRecord r) throws SQLException {
        if (count(c, "SELECT COUNT(*) FROM hostname_routes WHERE account_id = ? AND hostname = ?", r.accountId(),
                r.hostname()) > 0) {
            throw DirectoryException.conflict("hostname: a route for " + r.hostname() + " already exists");
        }
        update(c, "INSERT INTO hostname_routes (id, account_id, hostname, tunnel_id, note, created_at)"
                        + " VALUES (?, ?, ?, ?, ?, ?)", r.id().toString(), r.accountId(), r.hostname(),
                r.tunnelId().toString(), r.comment(), r.createdAt().toEpochMilli());
    }

    static void putWorker(Connection c, String account, String name, List<BindingRecord> bindings, String tokenHash,
                          Instant now) throws SQLException {
        for (int i = 0; i < bindings.size(); i++) {
            BindingRecord b = bindings.get(i);
            if (b instanceof ServiceBinding sb && count(c, "SELECT COUNT(*) FROM services WHERE id = ? AND account_id = ?",
                    sb.serviceId().toString(), account) == 0) {
                throw DirectoryException.invalid("bindings[" + i + "].service_id: service " + sb.serviceId()
                        + " does not exist in this account");
            }
            if (b instanceof NetworkBinding nb && nb.tunnelId() != null) {
                requireTunnel(c, account, nb.tunnelId(), "bindings[" + i + "].tunnel_id");
            }
        }
        if (update(c, "UPDATE workers SET updated_at = ? WHERE account_id = ? AND name = ?", now.toEpochMilli(), account,
                name) == 0) {
            update(c, "INSERT INTO workers (account_id, name, created_at, updated_at) VALUES (?, ?, ?, ?)", account, name,
                    now.toEpochMilli(), now.toEpochMilli());
        }
        update(c, "DELETE FROM worker_bindings WHERE account_id = ? AND worker = ?", account, name);
        for (int i = 0; i < bindings.size(); i++) {
            BindingRecord b = bindings.get(i);
            String kind = b instanceof ServiceBinding ? "vpc_service" : "vpc_network";
            String target = b instanceof ServiceBinding sb ? sb.serviceId().toString()
                    : ((NetworkBinding) b).tunnelId() == null ? null : ((NetworkBinding) b).tunnelId().toString();
            update(c, "INSERT INTO worker_bindings (account_id, worker, pos, name, kind, target) VALUES (?, ?, ?, ?, ?, ?)",
                    account, name, i, b.name(), kind, target);
        }
        update(c, "INSERT INTO worker_tokens (hash, account_id, worker, created_at) VALUES (?, ?, ?, ?)", tokenHash,
                account, name, now.toEpochMilli());
    }

    static void deleteWorker(Connection c, String account, String name) throws SQLException {
        if (update(c, "DELETE FROM workers WHERE account_id = ? AND name = ?", account, name) == 0) {
            throw DirectoryException.notFound("worker " + name + " not found");
        }
        update(c, "DELETE FROM worker_bindings WHERE account_id = ? AND worker = ?", account, name);
        update(c, "DELETE FROM worker_tokens WHERE account_id = ? AND worker = ?", account, name);
    }
}
