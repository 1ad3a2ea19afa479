package dev.vpctunnel.edge.directory;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.SQLException;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Permission problems said as such. The tests run as root, whom no permission bit stops: H2's error for a store it
 * may not open is simulated here (its chain as H2 2.5 throws it for a file at mode 000), and
 * scripts/tests/16-permissions.sh runs the real thing as nobody.
 */
class FileAccessTest {
    @TempDir
    Path tmp;

    @Test
    void aStoreH2MayNotOpenIsPermissionDeniedNotDamaged() throws Exception {
        Path file = Files.createFile(tmp.resolve(H2Store.FILE));
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("---------"));
        SQLException h2 = new SQLException("IO Exception: \"" + file + "\" [90028-252]", "90028", 90028,
                new IllegalStateException("Could not open file " + file + " [2.5.252/1]", new AccessDeniedException(file.toString())));
        String m = StoreErrors.describe(h2, H2Store.url(tmp));
        assertEquals("cannot open " + file + ": permission denied (owner " + Files.getOwner(file).getName()
                + ", mode 0000; the edge runs as " + System.getProperty("user.name") + ")", m);
        assertFalse(m.contains("damaged") || m.contains("backup"), m);
    }

    @Test
    void aDamagedStoreIsStillDamaged() {
        SQLException h2 = new SQLException("IO Exception: \"/x/directory.mv.db\" [90028-252]", "90028", 90028,
                new IllegalStateException("File corrupted while reading record"));
        assertTrue(StoreErrors.describe(h2, "jdbc:h2:file:/x/directory").startsWith("the store file is damaged or truncated"));
    }

    @Test
    void whatIsKnownOfOwnerAndMode() {
        assertEquals("/d: permission denied (owner root, mode 0700; the edge runs as nobody)",
                FileAccess.denied(Path.of("/d"), "root", 0700, "nobody"));
        assertEquals("/d/f: permission denied (the edge runs as uid 1234)", FileAccess.denied(Path.of("/d/f"), null, null, "uid 1234"));
        assertEquals("/d/f: permission denied (mode 0444; the edge runs as edge)", FileAccess.denied(Path.of("/d/f"), null, 0444, "edge"));
    }

    @Test
    void readableWritableOrMissingFilesAreNoProblem() throws Exception {
        Files.writeString(tmp.resolve("f"), "x");
        assertEquals(Optional.empty(), FileAccess.unreadable(tmp, "f", "missing"));
        assertEquals(Optional.empty(), FileAccess.unwritable(tmp.resolve("f")));
        assertEquals(Optional.empty(), FileAccess.unwritable(tmp.resolve("missing")));
        assertEquals(Optional.empty(), FileAccess.deniedIn(new SQLException("x", new RuntimeException("y"))));
    }
}
