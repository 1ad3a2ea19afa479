package dev.vpctunnel.connector.cli;

import dev.vpctunnel.core.link.TunnelToken;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** --token, --token-file, TUNNEL_TOKEN: order, the warning for a file others can read, no secret in messages. */
class TokenSourceTest {
    @TempDir
    Path dir;
    private final List<String> warnings = new ArrayList<>();
    private final Logger log = Logger.getLogger(TokenSource.class.getName());
    private final Handler capture = new Handler() {
        @Override
        public void publish(LogRecord r) {
            warnings.add(r.getMessage());
        }

        @Override
        public void flush() {
        }

        @Override
        public void close() {
        }
    };
    private final TunnelToken a = new TunnelToken("acct", UUID.randomUUID(), ("secret-a-" + "x".repeat(32)).getBytes(StandardCharsets.UTF_8));
    private final TunnelToken b = new TunnelToken("acct", UUID.randomUUID(), ("secret-b-" + "x".repeat(32)).getBytes(StandardCharsets.UTF_8));
    private final TunnelToken c = new TunnelToken("acct", UUID.randomUUID(), ("secret-c-" + "x".repeat(32)).getBytes(StandardCharsets.UTF_8));

    @BeforeEach
    void listen() {
        log.addHandler(capture);
        log.setUseParentHandlers(false);
    }

    @AfterEach
    void stop() {
        log.removeHandler(capture);
        log.setUseParentHandlers(true);
    }

    private Path file(String content, String perms) throws IOException {
        Path f = dir.resolve("token-" + perms);
        Files.writeString(f, content + "\n");
        Files.setPosixFilePermissions(f, PosixFilePermissions.fromString(perms));
        return f;
    }

    @Test
    void flagThenFileThenEnvironment() throws IOException {
        Path f = file(b.encode(), "rw-------");
        assertEquals(a.tunnelId(), TokenSource.resolve(a.encode(), f, c.encode()).tunnelId());
        assertEquals(b.tunnelId(), TokenSource.resolve(null, f, c.encode()).tunnelId());
        TunnelToken fromEnv = TokenSource.resolve(null, null, c.encode());
        assertEquals(c.tunnelId(), fromEnv.tunnelId());
        assertArrayEquals(c.secret(), fromEnv.secret());
        assertTrue(warnings.isEmpty(), warnings.toString());
    }

    @Test
    void aFileOthersCanReadIsUsedWithAWarning() throws IOException {
        Path f = file(a.encode(), "rw-r--r--");
        assertEquals(a.tunnelId(), TokenSource.resolve(null, f, null).tunnelId());
        assertEquals(1, warnings.size());
        assertTrue(warnings.get(0).contains("readable by other users") && warnings.get(0).contains("chmod 600 " + f), warnings.get(0));
    }

    @Test
    void noTokenAnywhere() {
        String m = assertThrows(IllegalArgumentException.class, () -> TokenSource.resolve(null, null, " ")).getMessage();
        assertTrue(m.startsWith("a tunnel token is required: --token-file FILE, the environment variable TUNNEL_TOKEN"), m);
    }

    @Test
    void badTokensAreRefusedWithoutShowingThem() throws IOException {
        String bad = "c2VjcmV0LXNlY3JldA-not-a-token";
        for (String m : List.of(
                assertThrows(IllegalArgumentException.class, () -> TokenSource.resolve(null, null, bad)).getMessage(),
                assertThrows(IllegalArgumentException.class, () -> TokenSource.resolve(null, file(bad, "rw-------"), null)).getMessage())) {
            assertFalse(m.contains(bad), m);
            assertTrue(m.contains("the tunnel token is not valid"), m);
        }
        String missing = assertThrows(IllegalArgumentException.class,
                () -> TokenSource.resolve(null, dir.resolve("nope"), null)).getMessage();
        assertEquals("--token-file " + dir.resolve("nope") + ": no such file", missing);
    }
}
