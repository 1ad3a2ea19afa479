package dev.vpctunnel.edge.directory;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

class HashesTest {
    /** One base64url token in 64 started with '-', and `--token -Abc…` is read as options by the CLI. */
    @Test
    void tokensNeverStartWithADash() {
        for (int i = 0; i < 5000; i++) {
            String t = Hashes.newToken("");
            assertFalse(t.startsWith("-"), t);
            assertEquals(43, t.length(), t);
        }
        assertEquals("gw_", Hashes.newToken("gw_").substring(0, 3));
    }
}
