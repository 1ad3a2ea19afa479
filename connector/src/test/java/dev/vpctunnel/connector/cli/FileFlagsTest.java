package dev.vpctunnel.connector.cli;

import dev.vpctunnel.core.link.TunnelToken;
import dev.vpctunnel.core.tls.Pki;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Every file the connector is given (--config, --token-file, --edge-ca) is refused with one line and exit 2 when it
 * is huge, not a regular file, missing or binary: no OutOfMemoryError, no hang on a FIFO, no exception class name.
 */
class FileFlagsTest {
    @TempDir
    Path dir;
    Path edgeCa;
    String token;

    @BeforeEach
    void files() throws IOException {
        edgeCa = dir.resolve("edge-ca.pem");
        Files.writeString(edgeCa, Pki.newCa("edge CA", Duration.ofDays(1)).certificatePem());
        token = new TunnelToken("0123456789abcdef0123456789abcdef", UUID.randomUUID(), new byte[32]).encode();
    }

    private RunSettingsTest.Run run(String... more) {
        List<String> a = new ArrayList<>(List.of("run", "--edge", "127.0.0.1:1"));
        a.addAll(List.of(more));
        return assertTimeoutPreemptively(Duration.ofSeconds(20), () -> RunSettingsTest.run(a.toArray(String[]::new)));
    }

    /** A 3 GiB file that takes no space. */
    private Path sparse(String name) throws IOException {
        Path p = dir.resolve(name);
        try (RandomAccessFile f = new RandomAccessFile(p.toFile(), "rw")) {
            f.setLength(3L << 30);
        }
        return p;
    }

    private Path binary(String name) throws IOException {
        Path p = dir.resolve(name);
        Files.write(p, new byte[] {(byte) 0xff, (byte) 0xfe, 0x41, (byte) 0xc3, 0x28});
        return p;
    }

    static Path fifo(Path dir) throws Exception {
        Path p = dir.resolve("fifo");
        Process mk = new ProcessBuilder("mkfifo", p.toString()).start();
        assumeTrue(mk.waitFor() == 0, "mkfifo is not available");
        return p;
    }

    private void refused(String expected, RunSettingsTest.Run r) {
        assertEquals(2, r.code(), r.err());
        assertEquals("connector: " + expected, r.err());
    }

    @Test
    void configFiles() throws Exception {
        Path big = sparse("big.yaml");
        refused("--config " + big + ": larger than 1 MiB", run("--config", big.toString(), "--edge-ca", edgeCa.toString(), "--token", token));
        Path bin = binary("bin.yaml");
        refused("--config " + bin + ": not UTF-8 text (binary file?)", run("--config", bin.toString(), "--token", token));
        refused("--config /dev/null: not a regular file (a device, FIFO or socket)", run("--config", "/dev/null", "--token", token));
        refused("--config " + dir + ": is a directory", run("--config", dir.toString(), "--token", token));
        Path nope = dir.resolve("missing.yaml");
        refused("--config " + nope + ": no such file", run("--config", nope.toString(), "--token", token));
        Path fifo = fifo(dir);
        refused("--config " + fifo + ": not a regular file (a device, FIFO or socket)", run("--config", fifo.toString(), "--token", token));
    }

    @Test
    void tokenFiles() throws Exception {
        Path big = sparse("big-token");
        refused("--token-file " + big + ": larger than 1 MiB", run("--edge-ca", edgeCa.toString(), "--token-file", big.toString()));
        Path bin = binary("bin-token");
        refused("--token-file " + bin + ": not UTF-8 text (binary file?)", run("--edge-ca", edgeCa.toString(), "--token-file", bin.toString()));
        Path fifo = fifo(dir);
        refused("--token-file " + fifo + ": not a regular file (a device, FIFO or socket)",
                run("--edge-ca", edgeCa.toString(), "--token-file", fifo.toString()));
        Path token = dir.resolve("token");
        Files.writeString(token, "\uFEFF" + this.token + "\n");
        assertEquals(this.token, TokenSource.resolve(null, token, null).encode(), "a leading byte-order mark is dropped");
    }

    @Test
    void edgeCaFiles() throws Exception {
        Path big = sparse("big.pem");
        refused("--edge-ca " + big + ": larger than 4 MiB", run("--edge-ca", big.toString(), "--token", token));
        Path bin = binary("bin.pem");
        refused("--edge-ca " + bin + ": not a PEM file (binary file?)", run("--edge-ca", bin.toString(), "--token", token));
        Path text = dir.resolve("text.pem");
        Files.writeString(text, "hello\n");
        refused("--edge-ca " + text + ": no PEM certificate found", run("--edge-ca", text.toString(), "--token", token));
        Path fifo = fifo(dir);
        refused("--edge-ca " + fifo + ": not a regular file (a device, FIFO or socket)", run("--edge-ca", fifo.toString(), "--token", token));
        refused("--edge-ca /dev/zero: not a regular file (a device, FIFO or socket)", run("--edge-ca", "/dev/zero", "--token", token));
    }
}
