package dev.vpctunnel.edge.directory;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;

/** Creates and migrates the schema (portable SQL: H2 and PostgreSQL). Times are epoch milliseconds. */
final class Schema {
    static final int VERSION = 1;

    private static final List<String> V1 = List.of(
            "CREATE TABLE IF NOT EXISTS change_counter (id INT PRIMARY KEY, counter BIGINT NOT NULL)",
            "CREATE TABLE IF NOT EXISTS accounts (id VARCHAR(32) PRIMARY KEY, created_at BIGINT NOT NULL)",
            "CREATE TABLE IF NOT EXISTS api_tokens (id VARCHAR(32) PRIMARY KEY, account_id VARCHAR(32) NOT NULL,"
                    + " name VARCHAR(255) NOT NULL, roles VARCHAR(100) NOT NULL, hash VARCHAR(64) NOT NULL UNIQUE,"
                    + " created_at BIGINT NOT NULL)",
            "CREATE TABLE IF NOT EXISTS tunnels (id VARCHAR(36) PRIMARY KEY, account_id VARCHAR(32) NOT NULL,"
                    + " name VARCHAR(255) NOT NULL, secret VARCHAR(128) NOT NULL, created_at BIGINT NOT NULL)",
            "CREATE TABLE IF NOT EXISTS services (id VARCHAR(36) PRIMARY KEY, account_id VARCHAR(32) NOT NULL,"
                    + " name VARCHAR(255) NOT NULL, http_port INT, https_port INT, ipv4 VARCHAR(64), ipv6 VARCHAR(64),"
                    + " hostname VARCHAR(255), tunnel_id VARCHAR(36) NOT NULL, resolver_ips VARCHAR(2000) NOT NULL,"
                    + " created_at BIGINT NOT NULL, updated_at BIGINT NOT NULL)",
            "CREATE TABLE IF NOT EXISTS routes (id VARCHAR(36) PRIMARY KEY, account_id VARCHAR(32) NOT NULL,"
                    + " network VARCHAR(64) NOT NULL, tunnel_id VARCHAR(36) NOT NULL, note VARCHAR(255),"
                    + " created_at BIGINT NOT NULL)",
            "CREATE TABLE IF NOT EXISTS hostname_routes (id VARCHAR(36) PRIMARY KEY, account_id VARCHAR(32) NOT NULL,"
                    + " hostname VARCHAR(255) NOT NULL, tunnel_id VARCHAR(36) NOT NULL, note VARCHAR(255),"
                    + " created_at BIGINT NOT NULL)",
            "CREATE TABLE IF NOT EXISTS workers (account_id VARCHAR(32) NOT NULL, name VARCHAR(64) NOT NULL,"
                    + " created_at BIGINT NOT NULL, updated_at BIGINT NOT NULL, PRIMARY KEY (account_id, name))",
            "CREATE TABLE IF NOT EXISTS worker_bindings (account_id VARCHAR(32) NOT NULL, worker VARCHAR(64) NOT NULL,"
                    + " pos INT NOT NULL, name VARCHAR(255) NOT NULL, kind VARCHAR(16) NOT NULL,"
                    + " target VARCHAR(64), PRIMARY KEY (account_id, worker, pos))",
            "CREATE TABLE IF NOT EXISTS worker_tokens (hash VARCHAR(64) PRIMARY KEY, account_id VARCHAR(32) NOT NULL,"
                    + " worker VARCHAR(64) NOT NULL, created_at BIGINT NOT NULL)");

    private Schema() {
    }

    /** Brings the schema to VERSION in one transaction; safe when several edges start at once. */
    static void migrate(Connection c) throws SQLException {
        try (Statement s = c.createStatement()) {
            s.execute("CREATE TABLE IF NOT EXISTS schema_version (version INT NOT NULL)");
            c.commit();
            int current = 0;
            try (ResultSet rs = s.executeQuery("SELECT MAX(version) FROM schema_version")) {
                if (rs.next()) {
                    current = rs.getInt(1);
                }
            }
            if (current > VERSION) {
                throw new SQLException("the store has schema version " + current + ", newer than this edge ("
                        + VERSION + "); upgrade the edge");
            }
            if (current < 1) {
                for (String ddl : V1) {
                    s.execute(ddl);
                }
                try (ResultSet rs = s.executeQuery("SELECT COUNT(*) FROM change_counter")) {
                    rs.next();
                    if (rs.getInt(1) == 0) {
                        s.execute("INSERT INTO change_counter (id, counter) VALUES (1, 0)");
                    }
                }
                s.execute("INSERT INTO schema_version (version) VALUES (1)");
            }
            c.commit();
        } catch (SQLException e) {
            c.rollback();
            throw e;
        }
    }
}
