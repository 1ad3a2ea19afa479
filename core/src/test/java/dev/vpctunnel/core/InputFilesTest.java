package dev.vpctunnel.core;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class InputFilesTest {
    @TempDir
    Path dir;

    private String refusal(Path p, long max) {
        return assertThrows(IllegalArgumentException.class, () -> InputFiles.read(p, "--x", max)).getMessage();
    }

    @Test
    void readsTextUpToTheCapAndDropsAByteOrderMark() throws Exception {
        Path p = dir.resolve("ok");
        Files.writeString(p, "\uFEFFhé\n");
        assertEquals("hé\n", InputFiles.read(p, "--x", 7)); // 3 bytes of mark, 4 of text
        assertEquals("--x " + p + ": larger than 6 bytes", refusal(p, 6));
    }

    @Test
    void refusesWhatIsNotASmallRegularTextFile() throws Exception {
        Path big = dir.resolve("big");
        try (RandomAccessFile f = new RandomAccessFile(big.toFile(), "rw")) {
            f.setLength(3L << 30);
        }
        assertEquals("--x " + big + ": larger than 1 MiB", refusal(big, InputFiles.MIB));
        Path bin = dir.resolve("bin");
        Files.write(bin, new byte[] {(byte) 0xc3, 0x28});
        assertEquals("--x " + bin + ": not UTF-8 text (binary file?)", refusal(bin, InputFiles.MIB));
        Path nul = dir.resolve("nul");
        Files.write(nul, new byte[16]);
        assertEquals("--x " + nul + ": not UTF-8 text (binary file?)", refusal(nul, InputFiles.MIB));
        assertEquals("--x /dev/zero: not a regular file (a device, FIFO or socket)", refusal(Path.of("/dev/zero"), InputFiles.MIB));
        assertEquals("--x " + dir + ": is a directory", refusal(dir, InputFiles.MIB));
        assertEquals("--x " + dir.resolve("nope") + ": no such file", refusal(dir.resolve("nope"), InputFiles.MIB));
        assertEquals("--x " + bin.resolve("below") + ": not a directory", refusal(bin.resolve("below"), InputFiles.MIB));
    }

    @Test
    void theCapHoldsForFilesThatSayTheyAreEmpty() {
        // /proc files report size 0 whatever they hold: the cap is enforced on what is read
        Path status = Path.of("/proc/self/status");
        if (Files.isReadable(status)) {
            assertEquals("--x " + status + ": larger than 10 bytes", refusal(status, 10));
            assertArrayEquals(InputFiles.read(status, "--x", InputFiles.MIB).substring(0, 5).getBytes(StandardCharsets.UTF_8),
                    "Name:".getBytes(StandardCharsets.UTF_8));
        }
    }
}
