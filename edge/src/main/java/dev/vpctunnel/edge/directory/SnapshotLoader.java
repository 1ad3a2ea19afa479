package dev.vpctunnel.edge.directory;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

/** Reads the whole store into an immutable DirectoryData (one read transaction). */
final class SnapshotLoader {
    private SnapshotLoader() {
    }

    static long counter(Connection c) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT counter FROM change_counter WHERE id = 1");
             ResultSet rs = ps.executeQuery()) {
            return rs.next() ? rs.getLong(1) : 0;
        }
    }

    /**
     * {@link #load} in one REPEATABLE READ transaction, committed: one moment of the store for all its tables (at READ
     * COMMITTED each query would see what other edges committed up to its own start: a new worker without the bindings
     * read before it). The connection is back at the writes' READ COMMITTED before the snapshot is returned; should
     * that fail, no snapshot is used (the next refresh, whose counter then differs, loads it again).
     */
    static DirectoryData loadConsistent(Connection c) throws SQLException {
        c.setTransactionIsolation(Connection.TRANSACTION_REPEATABLE_READ);
        DirectoryData d;
        try {
            d = load(c);
            c.commit();
        } catch (SQLException | RuntimeException e) {
            try {
                c.rollback();
                c.setTransactionIsolation(Connection.TRANSACTION_READ_COMMITTED);
            } catch (SQLException rollback) {
                e.addSuppressed(rollback); // a broken connection: the callers drop it on an SQL error
            }
            throw e;
        }
        c.setTransactionIsolation(Connection.TRANSACTION_READ_COMMITTED);
        return d;
    }

    static DirectoryData load(Connection c) throws SQLException {
        long version = counter(c);
        List<String> accounts = new ArrayList<>();
        try (ResultSet rs = query(c, "SELECT id FROM accounts ORDER BY created_at, id")) {
            while (rs.next()) {
                accounts.add(rs.getString(1));
            }
        }
        List<ApiTokenRecord> tokens = new ArrayList<>();
        try (ResultSet rs = query(c, "SELECT id, account_id, name, roles, hash, created_at FROM api_tokens ORDER BY created_at, id")) {
            while (rs.next()) {
                tokens.add(new ApiTokenRecord(rs.getString(1), rs.getString(2), rs.getString(3), roles(rs.getString(4)),
                        HexFormat.of().parseHex(rs.getString(5)), Instant.ofEpochMilli(rs.getLong(6))));
            }
        }
        List<TunnelRecord> tunnels = new ArrayList<>();
        try (ResultSet rs = query(c, "SELECT id, account_id, name, secret, created_at FROM tunnels ORDER BY created_at, id")) {
            while (rs.next()) {
                tunnels.add(new TunnelRecord(UUID.fromString(rs.getString(1)), rs.getString(2), rs.getString(3),
                        Base64.getDecoder().decode(rs.getString(4)), Instant.ofEpochMilli(rs.getLong(5))));
            }
        }
        List<ServiceRecord> services = new ArrayList<>();
        try (ResultSet rs = query(c, "SELECT id, account_id, name, http_port, https_port, ipv4, ipv6, hostname, tunnel_id,"
                + " resolver_ips, created_at, updated_at FROM services ORDER BY created_at, id")) {
            while (rs.next()) {
                services.add(new ServiceRecord(UUID.fromString(rs.getString(1)), rs.getString(2), rs.getString(3),
                        (Integer) rs.getObject(4), (Integer) rs.getObject(5), rs.getString(6), rs.getString(7),
                        rs.getString(8), UUID.fromString(rs.getString(9)), splitIps(rs.getString(10)),
                        Instant.ofEpochMilli(rs.getLong(11)), Instant.ofEpochMilli(rs.getLong(12))));
            }
        }
        List<RouteRecord> routes = new ArrayList<>();
        try (ResultSet rs = query(c, "SELECT id, account_id, network, tunnel_id, note, created_at FROM routes ORDER BY created_at, id")) {
            while (rs.next()) {
                routes.add(new RouteRecord(UUID.fromString(rs.getString(1)), rs.getString(2), Cidr.parse(rs.getString(3)),
                        UUID.fromString(rs.getString(4)), rs.getString(5), Instant.ofEpochMilli(rs.getLong(6))));
            }
        }
        List<HostnameRouteRecord> hostRoutes = new ArrayList<>();
        try (ResultSet rs = query(c, "SELECT id, account_id, hostname, tunnel_id, note, created_at FROM hostname_routes"
                + " ORDER BY created_at, id")) {
            while (rs.next()) {
                hostRoutes.add(new HostnameRouteRecord(UUID.fromString(rs.getString(1)), rs.getString(2), rs.getString(3),
                        UUID.fromString(rs.getString(4)), rs.getString(5), Instant.ofEpochMilli(rs.getLong(6))));
            }
        }
        List<WorkerRecord> workers = loadWorkers(c);
        Map<String, String> workerTokens = new HashMap<>();
        try (ResultSet rs = query(c, "SELECT hash, account_id, worker FROM worker_tokens")) {
            while (rs.next()) {
                workerTokens.put(rs.getString(1), rs.getString(2) + "/" + rs.getString(3));
            }
        }
        return new DirectoryData(version, accounts, tokens, tunnels, services, routes, hostRoutes, workers, workerTokens);
    }

    private static List<WorkerRecord> loadWorkers(Connection c) throws SQLException {
        Map<String, Map<String, BindingRecord>> bindings = new HashMap<>();
        try (ResultSet rs = query(c, "SELECT account_id, worker, name, kind, target FROM worker_bindings"
                + " ORDER BY account_id, worker, pos")) {
            while (rs.next()) {
                String target = rs.getString(5);
                BindingRecord b = "vpc_service".equals(rs.getString(4))
                        ? new ServiceBinding(rs.getString(3), UUID.fromString(target))
                        : new NetworkBinding(rs.getString(3), target == null ? null : UUID.fromString(target));
                bindings.computeIfAbsent(rs.getString(1) + "/" + rs.getString(2), k -> new LinkedHashMap<>()).put(b.name(), b);
            }
        }
        List<WorkerRecord> workers = new ArrayList<>();
        try (ResultSet rs = query(c, "SELECT account_id, name FROM workers ORDER BY created_at, name")) {
            while (rs.next()) {
                Map<String, BindingRecord> bs = bindings.getOrDefault(rs.getString(1) + "/" + rs.getString(2), Map.of());
                workers.add(new WorkerRecord(rs.getString(1), rs.getString(2), java.util.Collections.unmodifiableMap(
                        new LinkedHashMap<>(bs))));
            }
        }
        return workers;
    }

    private static ResultSet query(Connection c, String sql) throws SQLException {
        PreparedStatement ps = c.prepareStatement(sql);
        ps.closeOnCompletion();
        return ps.executeQuery();
    }

    static Set<Role> roles(String csv) {
        Set<Role> out = EnumSet.noneOf(Role.class);
        for (String s : csv.split(",")) {
            if (!s.isBlank()) {
                out.add(Role.ofName(s.trim()));
            }
        }
        return out;
    }

    static List<String> splitIps(String csv) {
        return csv == null || csv.isEmpty() ? List.of() : Arrays.asList(csv.split(","));
    }
}
