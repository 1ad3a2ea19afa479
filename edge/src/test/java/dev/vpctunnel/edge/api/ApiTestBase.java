package dev.vpctunnel.edge.api;

import dev.vpctunnel.edge.testing.ApiFixture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

/** An admin API on a fresh data dir for each test ({@link ApiFixture} {@code f}), closed after it. */
abstract class ApiTestBase {
    @TempDir
    Path tmp;
    ApiFixture f;

    @BeforeEach
    void start() throws Exception {
        f = new ApiFixture(tmp);
    }

    @AfterEach
    void stop() throws Exception {
        f.close();
    }
}
