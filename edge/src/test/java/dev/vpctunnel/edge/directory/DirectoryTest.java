package dev.vpctunnel.edge.directory;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DirectoryTest {
    @TempDir
    Path tmp;

    static ServiceSpec spec(UUID tunnel) {
        return new ServiceSpec("s", 80, 443, "10.0.0.1", null, null, tunnel, List.of());
    }

    @Test
    void cidrParsingNormalisesAndRefuses() {
        assertEquals("10.0.0.0/8", Cidr.parse("10.1.2.3/8").toString());
        assertEquals("192.168.1.1/32", Cidr.parse("192.168.1.1").toString());
        assertEquals("fd00::/8", Cidr.parse("fdff::1/8").toString());
        assertEquals("0.0.0.0/0", Cidr.parse("1.2.3.4/0").toString());
        // IPv4-mapped: the IPv4 network it maps, as the gateway matches a mapped destination by its IPv4 address
        assertEquals("10.78.0.0/24", Cidr.parse("::ffff:10.78.0.9/120").toString());
        assertEquals("10.78.0.9/32", Cidr.parse("::ffff:a4e:9").toString());
        assertEquals("0.0.0.0/0", Cidr.parse("::ffff:0:0/96").toString());
        assertEquals("::fffe:0:0/95", Cidr.parse("::ffff:0:0/95").toString()); // wider: an IPv6 network
        for (String bad : List.of("10.0.0.0/33", "10.0.0.0/", "10.0.0/8", "host.internal/8", "fe80::1%eth0/64", "1.2.3.4/-1",
                "1.2.3.4/8/8")) {
            assertThrows(IllegalArgumentException.class, () -> Cidr.parse(bad), bad);
        }
    }

    @Test
    void serviceLimitIsEnforcedAndSaysSo() throws Exception {
        try (Directory d = Directory.open(tmp, null)) {
            String account = d.initialize().accountId();
            TunnelRecord t = d.createTunnel(account, "t", null);
            try (Connection c = DriverManager.getConnection(H2Store.url(tmp))) {
                c.setAutoCommit(false);
                try (PreparedStatement ps = c.prepareStatement("INSERT INTO services (id, account_id, name, http_port,"
                        + " https_port, ipv4, tunnel_id, resolver_ips, created_at, updated_at) VALUES (?, ?, 's', 80, 443,"
                        + " '10.0.0.1', ?, '', 0, 0)")) {
                    for (int i = 0; i < Directory.MAX_SERVICES_PER_ACCOUNT - 1; i++) {
                        ps.setString(1, UUID.randomUUID().toString());
                        ps.setString(2, account);
                        ps.setString(3, t.id().toString());
                        ps.addBatch();
                    }
                    ps.executeBatch();
                }
                c.prepareStatement("UPDATE change_counter SET counter = counter + 1").executeUpdate();
                c.commit();
            }
            d.refresh();
            d.createService(account, spec(t.id()));
            DirectoryException e = assertThrows(DirectoryException.class, () -> d.createService(account, spec(t.id())));
            assertEquals(DirectoryException.Kind.LIMIT, e.kind());
            assertTrue(e.getMessage().contains("10000"), e.getMessage());
            assertEquals(Directory.MAX_SERVICES_PER_ACCOUNT, d.data().services(account).size());
        }
    }

    @Test
    void anotherDirectoryOnTheSameStoreSeesWritesThroughRefresh() throws Exception {
        try (Directory a = Directory.open(tmp, null); Directory b = Directory.open(tmp, null)) {
            String account = a.initialize().accountId();
            b.startRefresh(Duration.ofMillis(100));
            TunnelRecord t = a.createTunnel(account, "shared", null);
            a.addRoute(account, Cidr.parse("10.5.0.0/16"), t.id(), null);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            while (b.snapshot().tunnel(t.id()).isEmpty() && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            assertTrue(b.snapshot().tunnel(t.id()).isPresent());
            assertEquals(t.id(), b.snapshot().routeTunnel(account, InetAddress.getByName("10.5.1.1")).orElseThrow());
        }
    }

    @Test
    void aTunnelJustCreatedByAnotherEdgeIsFoundForARegistrationBeforeTheNextRefresh() throws Exception {
        try (Directory a = Directory.open(tmp, null); Directory b = Directory.open(tmp, null)) {
            String account = a.initialize().accountId();
            b.refresh();
            TunnelRecord t = a.createTunnel(account, "new", null); // b has no refresh timer: its snapshot lags
            assertTrue(b.snapshot().tunnel(t.id()).isEmpty());
            assertArrayEquals(t.secret(), b.tunnelSecret(t.id(), account).join().orElseThrow());
            assertTrue(b.tunnelSecret(t.id(), "0".repeat(32)).join().isEmpty(), "another account's tunnel");
            assertTrue(b.tunnelSecret(UUID.randomUUID(), account).join().isEmpty());
        }
    }

    @Test
    void changeListenersSeeEverySnapshotAfterAWrite() throws Exception {
        try (Directory d = Directory.open(tmp, null)) {
            String account = d.initialize().accountId();
            java.util.List<DirectoryData> seen = new java.util.concurrent.CopyOnWriteArrayList<>();
            d.onChange(seen::add);
            TunnelRecord t = d.createTunnel(account, "t", null);
            assertTrue(seen.get(seen.size() - 1).tunnel(t.id()).isPresent());
            d.deleteTunnel(account, t.id());
            assertTrue(seen.get(seen.size() - 1).tunnel(t.id()).isEmpty());
        }
    }

    /** What the admin API acknowledged (the write returned) is in the store after the edge was killed with -9. */
    @Test
    void aKilledWriterLosesNoAcknowledgedWrite() throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Path store = tmp.resolve("store");
        Path out = tmp.resolve("acknowledged.txt");
        Process p = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"), AckWriter.class.getName(),
                store.toString()).redirectError(ProcessBuilder.Redirect.DISCARD).redirectOutput(out.toFile()).start();
        try {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (Files.readAllLines(out).size() < 20 && System.nanoTime() < deadline) {
                Thread.sleep(50);
            }
            Thread.sleep(500);
        } finally {
            p.destroyForcibly(); // SIGKILL while it writes
            p.waitFor(10, TimeUnit.SECONDS);
        }
        List<String> lines = Files.readAllLines(out);
        String account = lines.get(0);
        List<String> acknowledged = lines.subList(1, lines.size());
        try (Directory d = Directory.open(store, null)) {
            assertTrue(acknowledged.size() > 10, "the writer made progress: " + acknowledged.size());
            List<String> lost = acknowledged.stream().filter(id -> id.length() == 36)
                    .filter(id -> d.data().tunnel(account, UUID.fromString(id)).isEmpty()).toList();
            assertEquals(0, lost.size(), lost.size() + " of " + acknowledged.size() + " acknowledged tunnels lost");
        }
    }

    @Test
    void aKilledWriterLeavesNoPartialRows() throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process p = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"), CrashWriter.class.getName(),
                tmp.toString()).redirectErrorStream(true).start();
        try {
            BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream()));
            assertEquals("ready", r.readLine());
            Thread.sleep(1500);
        } finally {
            p.destroyForcibly();
            p.waitFor(10, TimeUnit.SECONDS);
        }
        try (Directory d = Directory.open(tmp, null)) {
            DirectoryData data = d.data();
            String account = data.accounts().get(0);
            assertTrue(data.services(account).size() > 1, "the writer made progress");
            for (WorkerRecord w : data.workers(account)) {
                assertEquals(40, w.bindings().size(), "all bindings of " + w.name() + " or none");
            }
            assertTrue(data.workers(account).size() >= data.services(account).size() - 1);
            try (Connection c = DriverManager.getConnection(H2Store.url(tmp))) {
                var rs = c.createStatement().executeQuery("SELECT COUNT(*) FROM worker_bindings b WHERE NOT EXISTS"
                        + " (SELECT 1 FROM workers w WHERE w.account_id = b.account_id AND w.name = b.worker)");
                rs.next();
                assertEquals(0, rs.getInt(1));
                rs = c.createStatement().executeQuery("SELECT COUNT(*) FROM workers w WHERE NOT EXISTS"
                        + " (SELECT 1 FROM worker_tokens t WHERE t.account_id = w.account_id AND t.worker = w.name)");
                rs.next();
                assertEquals(0, rs.getInt(1), "every worker has its gateway token");
            }
        }
    }
}
