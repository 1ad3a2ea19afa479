package dev.vpctunnel.e2e;

import dev.vpctunnel.connector.link.LinkSupervisor;
import dev.vpctunnel.edge.directory.Directory;
import dev.vpctunnel.edge.directory.H2Store;
import dev.vpctunnel.edge.directory.ServiceBinding;
import dev.vpctunnel.edge.directory.TunnelRecord;
import org.junit.jupiter.api.Test;

import java.sql.Connection;
import java.sql.DriverManager;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A directory store that stalls (a PostgreSQL shared by several edges that stops answering, a write waiting on a lock)
 * must not stall the edge: a connector registering for a tunnel the edge's snapshot lacks makes it look in the store,
 * and that look-up must not hold the event loop that carries the fetches.
 */
class StoreStallTest {
    @Test
    void fetchesGoOnWhileARegistrationWaitsForAStalledStore() throws Exception {
        try (TestOrigins origins = new TestOrigins();
             GatewayFixture f = new GatewayFixture(";LOCK_TIMEOUT=15000", 1)) { // one event loop: easy to see blocked
            TunnelRecord t = f.tunnel("office");
            f.connect(t, 1, List.of());
            String token = f.worker("w", List.of(new ServiceBinding("WEB",
                    f.service("web", origins.echoPort(), null, "127.0.0.1", null, t.id()).id())));
            assertEquals(200, f.fetch(token, "WEB", "http://api.internal/before", "", null).status());

            try (Connection other = DriverManager.getConnection(H2Store.url(f.dir))) {
                other.setAutoCommit(false); // holds the row every write updates: the edge's next write waits for it
                other.createStatement().executeUpdate("UPDATE change_counter SET counter = counter + 1 WHERE id = 1");
                CompletableFuture<Object> stuckWrite = CompletableFuture.supplyAsync(
                        () -> f.directory.createTunnel(f.account, "stuck", null));
                Thread.sleep(300);
                // a tunnel this edge has never seen: its registration looks in the (stalled) store
                TunnelRecord ghost = new TunnelRecord(UUID.randomUUID(), f.account, "ghost", new byte[32], Instant.now());
                LinkSupervisor late = f.startConnector(ghost, 1, List.of());
                Thread.sleep(1000);

                long start = System.nanoTime();
                RawHttp.Response r = f.fetch(token, "WEB", "http://api.internal/during", "", null);
                long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
                assertEquals(200, r.status(), r.text());
                assertTrue(ms < 3000, "a fetch took " + ms + " ms while the store was stalled");
                assertTrue(f.any().orElseThrow().registeredLinks() == 1, "the registered link stayed up");

                other.rollback();
                stuckWrite.get(20, TimeUnit.SECONDS);
                String refused = late.permanentFailure().get(20, TimeUnit.SECONDS);
                assertTrue(refused.contains("unknown tunnel"), refused);
            }
        }
    }
}
