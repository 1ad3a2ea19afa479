package dev.vpctunnel.edge.api;

import dev.vpctunnel.edge.directory.Directory;
import dev.vpctunnel.edge.directory.H2Store;
import dev.vpctunnel.edge.testing.ApiFixture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A write the store cannot take (disk full, read-only, locked): a 503 for the client, the reason in the edge's log. */
class ApiStoreFailureTest {
    @TempDir
    Path tmp;
    private final List<LogRecord> logged = new CopyOnWriteArrayList<>();
    private final Logger log = Logger.getLogger("dev.vpctunnel.edge.api");
    private final Handler capture = new Handler() {
        @Override
        public void publish(LogRecord r) {
            logged.add(r);
        }

        @Override
        public void flush() {
        }

        @Override
        public void close() {
        }
    };

    @BeforeEach
    void setUp() {
        log.addHandler(capture);
    }

    @AfterEach
    void tearDown() {
        log.removeHandler(capture);
    }

    @Test
    void aFailedWriteIsLoggedWithItsReasonAndLeavesNothingBehind() throws Exception {
        try (ApiFixture api = new ApiFixture(tmp);
             Connection other = DriverManager.getConnection(H2Store.url(tmp))) {
            String kept = api.tunnel("kept");
            other.setAutoCommit(false); // holds the row every write updates: the edge's write times out
            other.createStatement().executeUpdate("UPDATE change_counter SET counter = counter + 1 WHERE id = 1");
            ApiFixture.Resp r = api.post(api.acct("/cfd_tunnel"), "{\"name\":\"lost\"}");
            assertEquals(503, r.status(), r.toString());
            assertEquals("directory store unavailable", r.error());
            String path = "POST /client/v4/accounts/" + api.account + "/cfd_tunnel";
            List<String> warnings = logged.stream().filter(l -> l.getLevel() == Level.WARNING)
                    .map(LogRecord::getMessage).toList();
            assertTrue(warnings.stream().anyMatch(m -> m.startsWith("admin API: " + path + ": directory write failed: ")
                    && !m.contains("\n")), "one warning line with the store's reason: " + warnings);
            other.rollback();

            assertEquals(200, api.post(api.acct("/cfd_tunnel"), "{\"name\":\"after\"}").status());
            List<String> names = new java.util.ArrayList<>();
            api.get(api.acct("/cfd_tunnel")).result().forEach(t -> names.add(t.path("name").asString()));
            assertEquals(List.of("after", "kept"), names.stream().sorted().toList());
            assertTrue(api.get(api.acct("/cfd_tunnel/" + kept)).status() == 200);
        }
    }
}
