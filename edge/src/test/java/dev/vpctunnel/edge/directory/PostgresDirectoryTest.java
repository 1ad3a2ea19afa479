package dev.vpctunnel.edge.directory;

import dev.vpctunnel.edge.testing.ApiFixture;
import dev.vpctunnel.edge.testing.PgServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.InetAddress;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** The same directory on PostgreSQL: API round trip, restart, and two edges seeing each other's writes. */
class PostgresDirectoryTest {
    @TempDir
    Path tmp;

    private String database() {
        var url = PgServer.newDatabase();
        assumeTrue(url.isPresent(), () -> "PostgreSQL tests skipped: " + PgServer.why());
        return url.get();
    }

    @Test
    void apiRoundTripAndRestartOnPostgres() throws Exception {
        String url = database();
        try (ApiFixture f = new ApiFixture(tmp, url)) {
            String tunnel = f.tunnel("pg");
            String service = f.service("svc", tunnel);
            assertEquals(200, f.post(f.acct("/teamnet/routes"), "{\"network\":\"fd00:1::/48\",\"tunnel_id\":\"" + tunnel
                    + "\"}").status());
            var put = f.call("PUT", f.acct("/workers/scripts/w"), "{\"bindings\":[{\"type\":\"vpc_service\",\"name\":\"A\","
                    + "\"service_id\":\"" + service + "\"},{\"type\":\"vpc_network\",\"name\":\"N\",\"network_id\":\"cf1:network\"}]}");
            assertEquals(200, put.status(), put.toString());
            String gw = put.result().path("gateway_token").asString();
            var bad = f.post(f.acct("/connectivity/directory/services"), "{\"type\":\"http\",\"name\":\"x\",\"host\":{\"ipv4\":"
                    + "\"10.0.0.1\",\"network\":{\"tunnel_id\":\"" + java.util.UUID.randomUUID() + "\"}}}");
            assertEquals(400, bad.status());
            assertEquals(409, f.call("DELETE", f.acct("/cfd_tunnel/" + tunnel), null).status());
            f.restart();
            assertEquals(1, f.get(f.acct("/connectivity/directory/services")).result().size());
            assertEquals("svc", f.get(f.acct("/connectivity/directory/services/" + service)).result().path("name").asString());
            var snap = f.directory.snapshot();
            assertEquals(2, snap.workerByGatewayToken(gw).orElseThrow().bindings().size());
            assertEquals(tunnel, snap.routeTunnel(f.account, InetAddress.getByName("fd00:1::5")).orElseThrow().toString());
        }
    }

    @Test
    void twoEdgesSharingPostgresSeeEachOthersWrites() throws Exception {
        String url = database();
        try (Directory a = Directory.open(tmp.resolve("a"), url); Directory b = Directory.open(tmp.resolve("b"), url)) {
            String account = a.initialize().accountId();
            assertEquals(account, b.initialize().accountId(), "one account for the shared store");
            b.startRefresh(Duration.ofMillis(200));
            TunnelRecord t = a.createTunnel(account, "shared", null);
            ServiceRecord s = a.createService(account, new ServiceSpec("s", 80, null, null, "fd00::1", null, t.id(), List.of()));
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            while (b.snapshot().service(s.id()).isEmpty() && System.nanoTime() < deadline) {
                Thread.sleep(50);
            }
            assertTrue(b.snapshot().service(s.id()).isPresent(), "edge b sees edge a's write within 5 s");
            assertEquals(null, b.snapshot().service(s.id()).orElseThrow().httpsPort());
            b.createTunnel(account, "from-b", null);
            a.refresh();
            assertEquals(2, a.data().tunnels(account).size());
        }
    }

    /**
     * Another edge commits a new worker (its row, binding and token) while this edge's reload has read the bindings
     * and not yet the workers: the snapshot has the worker with its binding or not at all (the next refresh brings it),
     * never with none (its fetches would get binding_not_found until then).
     */
    @Test
    void aSnapshotIsOneMomentOfTheStoreNotAMixOfTwo() throws Exception {
        String url = database();
        try (Directory a = Directory.open(tmp.resolve("a"), url); Connection other = DriverManager.getConnection(url);
             Connection watch = DriverManager.getConnection(url)) {
            String account = a.initialize().accountId();
            watch.createStatement().execute("UPDATE change_counter SET counter = counter + 1 WHERE id = 1"); // a reloads
            other.setAutoCommit(false);
            other.createStatement().execute("LOCK TABLE workers IN ACCESS EXCLUSIVE MODE");
            Thread reload = new Thread(a::refresh, "reload");
            reload.start();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (!waitingOnALock(watch) && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            assertTrue(waitingOnALock(watch), "the reload waits to read the workers");
            long now = System.currentTimeMillis();
            var s = other.createStatement();
            s.execute("INSERT INTO workers (account_id, name, created_at, updated_at) VALUES ('" + account + "', 'late', "
                    + now + ", " + now + ")");
            s.execute("INSERT INTO worker_bindings (account_id, worker, pos, name, kind, target) VALUES ('" + account
                    + "', 'late', 0, 'NET', 'vpc_network', NULL)");
            s.execute("INSERT INTO worker_tokens (hash, account_id, worker, created_at) VALUES ('" + "ab".repeat(32) + "', '"
                    + account + "', 'late', " + now + ")");
            s.execute("UPDATE change_counter SET counter = counter + 1 WHERE id = 1");
            other.commit();
            reload.join(10_000);
            a.data().worker(account, "late").ifPresent(w -> assertEquals(List.of("NET"), List.copyOf(w.bindings().keySet()),
                    "the new worker came with its binding"));
            a.refresh();
            assertEquals(List.of("NET"), List.copyOf(a.data().worker(account, "late").orElseThrow().bindings().keySet()));
        }
    }

    private static boolean waitingOnALock(Connection c) throws java.sql.SQLException {
        try (var rs = c.createStatement().executeQuery("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
                + " AND query LIKE '%FROM workers%'")) {
            return rs.next() && rs.getInt(1) > 0;
        }
    }

    @Test
    void aStoreThatStopsAnsweringGetsA503AndTheNextWriteWorksOnceItAnswersAgain() throws Exception {
        String url = database();
        try (ApiFixture f = new ApiFixture(tmp, url); Connection other = DriverManager.getConnection(url)) {
            String kept = f.tunnel("kept");
            other.setAutoCommit(false); // every read and write of the directory now waits for this session
            other.createStatement().execute("LOCK TABLE change_counter IN ACCESS EXCLUSIVE MODE");
            long start = System.nanoTime();
            ApiFixture.Resp r = f.post(f.acct("/cfd_tunnel"), "{\"name\":\"lost\"}"); // the client gives up at 20 s
            long took = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - start);
            assertEquals(503, r.status(), "after " + took + " s: " + r);
            assertEquals("directory store unavailable", r.error());
            other.rollback();

            assertEquals(200, f.post(f.acct("/cfd_tunnel"), "{\"name\":\"after\"}").status());
            List<String> names = new java.util.ArrayList<>();
            f.get(f.acct("/cfd_tunnel")).result().forEach(t -> names.add(t.path("name").asString()));
            assertEquals(List.of("after", "kept"), names.stream().sorted().toList());
            assertEquals(200, f.get(f.acct("/cfd_tunnel/" + kept)).status());
        }
    }

    @Test
    void anOutageIsLoggedOnceAndItsEndToo() throws Exception {
        String url = database();
        List<java.util.logging.LogRecord> logged = new java.util.concurrent.CopyOnWriteArrayList<>();
        java.util.logging.Logger log = java.util.logging.Logger.getLogger(Directory.class.getName());
        java.util.logging.Handler capture = new java.util.logging.Handler() {
            @Override
            public void publish(java.util.logging.LogRecord r) {
                logged.add(r);
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
        log.addHandler(capture);
        log.setLevel(java.util.logging.Level.ALL); // the repeated failures are logged at FINE: count them too
        try (Directory d = Directory.open(tmp, url + "&socketTimeout=1"); Connection other = DriverManager.getConnection(url)) {
            d.initialize();
            other.setAutoCommit(false); // the store stops answering the edge: each refresh times out after 1 s
            other.createStatement().execute("LOCK TABLE change_counter IN ACCESS EXCLUSIVE MODE");
            d.startRefresh(Duration.ofMillis(50));
            Thread.sleep(4000);
            other.rollback();
            Thread.sleep(1500);
        } finally {
            log.removeHandler(capture);
            log.setLevel(null);
        }
        List<String> warnings = logged.stream().filter(r -> r.getLevel() == java.util.logging.Level.WARNING)
                .map(java.util.logging.LogRecord::getMessage).toList();
        long failures = logged.stream().filter(r -> r.getMessage().startsWith("directory refresh failed")).count();
        assertTrue(failures >= 3, "several refreshes failed: " + failures);
        assertEquals(1, warnings.size(), "one warning for the outage: " + warnings);
        assertTrue(warnings.get(0).startsWith("directory refresh failed: directory store unavailable: "), warnings.get(0));
        assertTrue(logged.stream().anyMatch(r -> r.getLevel() == java.util.logging.Level.INFO
                && r.getMessage().equals("directory store reachable again; refreshes resumed")), "its end is logged");
    }
}
