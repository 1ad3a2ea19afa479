package dev.vpctunnel.edge.directory;

import org.h2.tools.Server;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.function.BooleanSupplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A store shared by several edges that stops answering: once a refresh found it down, writes are refused at once
 * (503 at the API) until a refresh reaches it again, instead of each one trying the store under the directory's lock.
 * The store here is an H2 server over TCP, stopped and started again on the same port.
 */
class StoreDownTest {
    @TempDir
    Path tmp;

    @Test
    void writesAreRefusedWhileARefreshFoundTheStoreDownAndResumeOnceOneReachesIt() throws Exception {
        // a port no other test JVM takes while the server is down (it comes back on the same one)
        Server server = Server.createTcpServer("-tcpPort", String.valueOf(dev.vpctunnel.core.testing.SparePorts.next()),
                "-baseDir", tmp.resolve("db").toString(), "-ifNotExists").start();
        int port = server.getPort();
        String url = "jdbc:h2:tcp://127.0.0.1:" + port + "/directory";
        try (Directory d = Directory.open(tmp.resolve("edge"), url)) {
            String account = d.initialize().accountId();
            d.createTunnel(account, "before", null);
            d.startRefresh(Duration.ofMillis(100));
            server.stop();
            await("a refresh finds the store down", d::storeDown);
            DirectoryException refused = assertThrows(DirectoryException.class, () -> d.createTunnel(account, "during", null));
            assertEquals(DirectoryException.Kind.UNAVAILABLE, refused.kind());
            assertTrue(refused.getMessage().startsWith("directory store unavailable")
                    && refused.getMessage().endsWith("(tried again at the next refresh)"), refused.getMessage());
            server = Server.createTcpServer("-tcpPort", String.valueOf(port), "-baseDir", tmp.resolve("db").toString(),
                    "-ifNotExists").start();
            await("a refresh reaches the store again", () -> !d.storeDown());
            d.createTunnel(account, "after", null);
            assertTrue(d.data().tunnels(account).stream().anyMatch(t -> t.name().equals("after")));
        } finally {
            server.stop();
        }
    }

    @Test
    void aRowTheEdgeCannotReadDoesNotMakeTheStoreDown() throws Exception {
        Server server = Server.createTcpServer("-tcpPort", "0", "-baseDir", tmp.resolve("db2").toString(), "-ifNotExists").start();
        String url = "jdbc:h2:tcp://127.0.0.1:" + server.getPort() + "/directory";
        try (Directory d = Directory.open(tmp.resolve("edge2"), url)) {
            String account = d.initialize().accountId();
            d.startRefresh(Duration.ofMillis(100));
            // another edge (a newer version, a hand edit) writes a role this edge does not know: its refreshes fail
            try (java.sql.Connection other = java.sql.DriverManager.getConnection(url);
                 java.sql.Statement st = other.createStatement()) {
                st.executeUpdate("UPDATE api_tokens SET roles = 'Connectivity Directory Someday'");
                st.executeUpdate("UPDATE change_counter SET counter = counter + 1 WHERE id = 1");
            }
            Thread.sleep(500); // several refreshes, each failing on that row
            assertTrue(!d.storeDown(), "the store answers: writes must not be refused as if it were unreachable");
            try {
                d.createTunnel(account, "still", null); // reaches the store (its reload then meets the row as well)
            } catch (RuntimeException e) {
                assertTrue(!String.valueOf(e.getMessage()).endsWith("(tried again at the next refresh)"), e.getMessage());
            }
        } finally {
            server.stop();
        }
    }

    private static void await(String what, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + 15_000_000_000L;
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting until " + what);
            }
            Thread.sleep(20);
        }
    }
}
