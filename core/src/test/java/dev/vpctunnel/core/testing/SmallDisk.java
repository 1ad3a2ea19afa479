package dev.vpctunnel.core.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Assumptions;

/**
 * A small tmpfs mounted for a test of what a full disk does: {@code try (SmallDisk disk = SmallDisk.mount(dir, "1m")) {
 * … disk.path() … }}. Needs root and a root that may mount (not a container): the test is skipped otherwise.
 */
public final class SmallDisk implements AutoCloseable {
    private final Path path;

    private SmallDisk(Path path) {
        this.path = path;
    }

    /** A tmpfs of {@code size} (mount's notation: "1m") at {@code dir}/small. */
    public static SmallDisk mount(Path dir, String size) throws IOException, InterruptedException {
        Assumptions.assumeTrue("root".equals(System.getProperty("user.name")), "mounts a tmpfs");
        Path mnt = Files.createDirectories(dir.resolve("small"));
        Assumptions.assumeTrue(new ProcessBuilder("mount", "-t", "tmpfs", "-o", "size=" + size, "tmpfs", mnt.toString())
                .inheritIO().start().waitFor() == 0, "this root may not mount (a container)");
        return new SmallDisk(mnt);
    }

    public Path path() {
        return path;
    }

    @Override
    public void close() throws IOException, InterruptedException {
        new ProcessBuilder("umount", path.toString()).inheritIO().start().waitFor();
    }
}
