package dev.vpctunnel.edge.workerd;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Set;

/** Writes {@code config.capnp} (owner-only: it holds the gateway token) and the wrapper module into a folder. */
public final class WorkerdConfigWriter {
    public static final String CONFIG_FILE = "config.capnp";
    private static final String WRAPPER_RESOURCE = "/workerd/" + WorkerdConfig.WRAPPER_FILE;
    private static final Set<PosixFilePermission> OWNER_ONLY = PosixFilePermissions.fromString("rw-------");
    private static final Set<PosixFilePermission> WORLD_READABLE = PosixFilePermissions.fromString("rw-r--r--");

    private WorkerdConfigWriter() {
    }

    /** Writes both files into outDir (created when missing); returns them, the config first. */
    public static List<Path> write(WorkerdConfig config, Path outDir) throws IOException {
        Files.createDirectories(outDir);
        Path wrapper = outDir.resolve(WorkerdConfig.WRAPPER_FILE);
        replace(wrapper, wrapperSource(), false);
        Path capnp = outDir.resolve(CONFIG_FILE);
        replace(capnp, config.render(outDir).getBytes(StandardCharsets.UTF_8), true);
        return List.of(capnp, wrapper);
    }

    /** The wrapper module shipped in the jar. */
    public static byte[] wrapperSource() {
        try (InputStream in = WorkerdConfigWriter.class.getResourceAsStream(WRAPPER_RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException("resource " + WRAPPER_RESOURCE + " is missing from the jar");
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Writes a sibling temporary file, then moves it over the target, so a reader never sees half a file. */
    private static void replace(Path target, byte[] content, boolean secret) throws IOException {
        Path dir = target.toAbsolutePath().getParent();
        Path tmp = Files.createTempFile(dir, "." + target.getFileName(), ".tmp");
        try {
            try {
                Files.setPosixFilePermissions(tmp, secret ? OWNER_ONLY : WORLD_READABLE);
            } catch (UnsupportedOperationException ignored) {
                // not a POSIX file system
            }
            Files.write(tmp, content);
            try {
                Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
            }
        } finally {
            Files.deleteIfExists(tmp);
        }
    }
}
