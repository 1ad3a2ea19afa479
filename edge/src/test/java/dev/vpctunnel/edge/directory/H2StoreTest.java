package dev.vpctunnel.edge.directory;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The embedded store keeps every write the API acknowledged when the edge is killed with -9, also after large
 * writes (a worker with thousands of bindings), and its file, which only grows (see H2Store), is compacted on start.
 */
class H2StoreTest {
    @TempDir
    Path dir;

    @Test
    void compactShrinksTheFileAndKeepsEverything() throws Exception {
        String account;
        try (Directory d = Directory.open(dir, null)) {
            account = d.initialize().accountId();
            for (int i = 0; i < 200; i++) {
                TunnelRecord t = d.createTunnel(account, "t" + i, null);
                if (i % 2 == 1) {
                    d.deleteTunnel(account, t.id());
                }
            }
        }
        long before = Files.size(dir.resolve(H2Store.FILE));
        assertEquals(java.util.Optional.empty(), H2Store.compact(dir), "nothing to warn of");
        long after = Files.size(dir.resolve(H2Store.FILE));
        assertTrue(after < before / 2, "compacted from " + before + " to " + after + " bytes");
        try (Directory d = Directory.open(dir, null)) {
            assertEquals(100, d.data().tunnels(account).size());
        }
        assertEquals(java.util.Optional.empty(), H2Store.compact(dir), "already compact: compacted again, nothing to say");
        H2Store.compact(dir.resolve("nothing-here")); // no store yet: nothing to do
    }

    /**
     * On a full disk H2 gives up compacting (it writes a copy) without a word, and the store, which every write makes
     * larger, stayed as large as it was, unsaid: now it is said (root: a tmpfs; skipped where root may not mount).
     */
    @Test
    void aCompactionWithoutRoomIsSaid() throws Exception {
        try (dev.vpctunnel.core.testing.SmallDisk disk = dev.vpctunnel.core.testing.SmallDisk.mount(dir, "2m")) {
            Path mnt = disk.path();
            Path data = mnt.resolve("d");
            try (Directory d = Directory.open(data, null)) {
                String account = d.initialize().accountId();
                for (int i = 0; i < 100; i++) {
                    d.createTunnel(account, "t" + i, null);
                }
            }
            try (var fill = java.nio.channels.FileChannel.open(mnt.resolve("fill"), java.nio.file.StandardOpenOption.CREATE,
                    java.nio.file.StandardOpenOption.WRITE)) {
                java.nio.ByteBuffer block = java.nio.ByteBuffer.allocate(4096);
                while (true) { // until the disk is full
                    block.clear();
                    fill.write(block);
                }
            } catch (java.io.IOException full) {
                // no space left
            }
            long size = Files.size(data.resolve(H2Store.FILE));
            String why = H2Store.compact(data).orElseThrow(() -> new AssertionError("no warning on a full disk"));
            assertTrue(why.contains("could not be compacted") && why.contains(size / 1024 + " kB"), why);
            assertEquals(size, Files.size(data.resolve(H2Store.FILE)), "left as it was");
            Files.delete(mnt.resolve("fill"));
            assertEquals(java.util.Optional.empty(), H2Store.compact(data), "with room again");
            assertTrue(Files.size(data.resolve(H2Store.FILE)) < size, "compacted");
            try (Directory d = Directory.open(data, null)) {
                assertEquals(100, d.data().tunnels(d.initialize().accountId()).size());
            }
        }
    }

    /**
     * A data dir removed, or a store file replaced, while the edge runs: H2 would go on writing into the file it has
     * open, which no path leads to any more, and each write would be acknowledged and then lost. Refused instead.
     */
    @Test
    void writesAreRefusedOnceTheStoreFileIsGoneOrReplaced() throws Exception {
        Path data = dir.resolve("data");
        Path moved = dir.resolve("moved");
        try (Directory d = Directory.open(data, null)) {
            String account = d.initialize().accountId();
            d.createTunnel(account, "before", null);
            Files.move(data, moved); // as `mv data x; rm -rf x` would, without the rm
            DirectoryException e = assertThrows(DirectoryException.class, () -> d.createTunnel(account, "lost", null));
            assertEquals(DirectoryException.Kind.UNAVAILABLE, e.kind());
            assertTrue(e.getMessage().contains("is gone since this edge opened it"), e.getMessage());
            Files.move(moved, data); // back where it was: the same file again
            d.createTunnel(account, "after", null);
            Path copy = dir.resolve("copy.mv.db");
            Files.copy(data.resolve(H2Store.FILE), copy);
            Files.move(copy, data.resolve(H2Store.FILE), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            e = assertThrows(DirectoryException.class, () -> d.createTunnel(account, "lost2", null));
            assertTrue(e.getMessage().contains("was replaced since this edge opened it"), e.getMessage());
            assertEquals(List.of("after", "before"), d.data().tunnels(account).stream().map(TunnelRecord::name).sorted().toList());
        }
    }

    /**
     * A running edge's store does not grow for ever between restarts: once the file is several times the size its
     * last compaction left, it is compacted under the directory's lock, and everything is still there.
     */
    @Test
    void aRunningStoreIsCompactedOnceItHasGrown() throws Exception {
        System.setProperty(H2Growth.MIN_PROPERTY, Integer.toString(256 * 1024));
        String account;
        long largest = 0;
        boolean checkedLock = false;
        try (Directory d = Directory.open(dir, null)) {
            account = d.initialize().accountId();
            TunnelRecord last = null;
            for (int i = 0; i < 450; i++) { // ~11 kB a write: ~6 MB without compaction; 300 made, 150 deleted
                if (i % 3 == 2) {
                    d.deleteTunnel(account, last.id());
                } else {
                    last = d.createTunnel(account, "t" + i, null);
                }
                long size = Files.size(dir.resolve(H2Store.FILE));
                if (size < largest && !checkedLock) { // this write compacted the store: it is this edge's still
                    checkedLock = true;
                    // the file's lock (what keeps another edge process off it) is held again at once; H2 holds it
                    // through this JVM, so a lock of our own overlaps it
                    try (java.nio.channels.FileChannel f = java.nio.channels.FileChannel.open(dir.resolve(H2Store.FILE),
                            java.nio.file.StandardOpenOption.READ, java.nio.file.StandardOpenOption.WRITE)) {
                        assertThrows(java.nio.channels.OverlappingFileLockException.class, f::tryLock,
                                "the store's file is not locked right after its compaction: another edge could open it");
                    }
                }
                largest = Math.max(largest, size);
            }
            assertTrue(checkedLock, "no compaction happened");
            assertEquals(150, d.data().tunnels(account).size());
        } finally {
            System.clearProperty(H2Growth.MIN_PROPERTY);
        }
        assertTrue(largest < 2 * 1024 * 1024, "the file grew to " + largest + " bytes");
        try (Directory d = Directory.open(dir, null)) {
            assertEquals(150, d.data().tunnels(account).size());
            d.createTunnel(account, "after", null);
        }
    }

    /** Child process: writes until killed, printing each write's name once it is acknowledged (committed). */
    public static void main(String[] args) throws Exception {
        Path data = Path.of(args[0]);
        Random random = new Random(Long.parseLong(args[1]));
        try (Directory d = Directory.open(data, null)) {
            String account = d.initialize().accountId();
            List<TunnelRecord> mine = new ArrayList<>();
            ServiceRecord svc = d.createService(account, new ServiceSpec("s" + args[1], 80, null, "10.0.0.1", null, null,
                    d.createTunnel(account, "svc-tunnel-" + args[1], null).id(), List.of()));
            for (int i = 0; ; i++) {
                String name = "w" + args[1] + "-" + i;
                if (i % 7 == 3) { // a large write: thousands of bindings, as an audit's 9,000-binding worker
                    List<BindingRecord> bindings = new ArrayList<>();
                    for (int b = 0; b < 2000 + random.nextInt(2000); b++) {
                        bindings.add(new ServiceBinding("B" + b, svc.id()));
                    }
                    d.putWorker(account, "big", bindings);
                }
                TunnelRecord t = d.createTunnel(account, name, null);
                mine.add(t);
                if (mine.size() > 20) {
                    d.deleteTunnel(account, mine.remove(0).id()); // churn, so space is freed
                }
                System.out.println("ACK " + name + " " + (mine.contains(t) ? "kept" : "gone"));
                System.out.flush();
            }
        }
    }

    @Test
    void acknowledgedWritesSurviveKillNine() throws Exception {
        Random random = new Random(42);
        Set<String> kept = new HashSet<>();
        for (int round = 0; round < 8; round++) {
            // with a small compaction threshold, so that the running store's compactions meet kill -9 too
            Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-D" + H2Growth.MIN_PROPERTY + "=" + (256 * 1024), "-cp", System.getProperty("java.class.path"), H2StoreTest.class.getName(), dir.toString(),
                    Integer.toString(round)).redirectErrorStream(true).start();
            List<String> acked = new ArrayList<>();
            long killAt = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(1500 + random.nextInt(2500));
            try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                Thread reader = new Thread(() -> {
                    try {
                        for (String line; (line = r.readLine()) != null; ) {
                            if (line.startsWith("ACK ")) {
                                synchronized (acked) {
                                    acked.add(line.substring(4));
                                }
                            }
                        }
                    } catch (java.io.IOException e) {
                        // the child is gone
                    }
                });
                reader.start();
                while (System.nanoTime() < killAt && p.isAlive()) {
                    Thread.sleep(20);
                }
                p.destroyForcibly().waitFor(10, TimeUnit.SECONDS); // SIGKILL
                reader.join(5000);
            }
            synchronized (acked) {
                for (String a : acked) {
                    String name = a.split(" ")[0];
                    kept.add(name);
                }
            }
            try (Directory d = Directory.open(dir, null)) {
                Set<String> present = new HashSet<>();
                for (TunnelRecord t : d.data().tunnels(d.initialize().accountId())) {
                    present.add(t.name());
                }
                // the child deletes its oldest tunnel after each new one: of its last 20 acknowledged, the oldest may have
                // gone in a write it committed after its last acknowledgement; the last 19 must be there
                List<String> lastAcked = new ArrayList<>();
                synchronized (acked) {
                    acked.forEach(a -> lastAcked.add(a.split(" ")[0]));
                }
                List<String> mustBeThere = lastAcked.subList(Math.max(0, lastAcked.size() - 19), lastAcked.size());
                for (String name : mustBeThere) {
                    assertTrue(present.contains(name), "round " + round + ": acknowledged " + name + " lost after kill -9 ("
                            + lastAcked.size() + " acknowledged)");
                }
            }
            H2Store.compact(dir); // as edge serve does on start
        }
        assertTrue(kept.size() > 8, "the children wrote: " + kept.size());
    }
}
