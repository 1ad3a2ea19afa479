package dev.vpctunnel.edge.directory;

import java.nio.file.Path;
import java.sql.SQLException;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Keeps the embedded store from growing without bound while the edge runs. Its file only grows (some kB per write,
 * see {@link H2Store}), and H2 keeps an object per chunk written in the heap until the file is compacted: an edge
 * under scripted API writes (tokens made and deleted by CI) grew by ~11 kB of file and ~600 B of heap per write, for
 * as long as it ran. Once the file is {@link #FACTOR} times the size the last compaction left (and at least
 * {@link #MIN_BYTES}), the store is closed, compacted as on start, and opened again by the next use, under the
 * directory's lock (API writes wait for it, a few hundred ms at most; fetches read the snapshot in memory).
 */
final class H2Growth {
    private static final Logger LOG = Logger.getLogger(H2Growth.class.getName());
    /** A property for tests only: the least size that triggers a compaction. */
    static final String MIN_PROPERTY = "vpctunnel.h2.compactAtBytes";
    static final long MIN_BYTES = 32L << 20;
    static final int FACTOR = 4;

    private final Path dataDir;
    private final long minBytes = Long.getLong(MIN_PROPERTY, MIN_BYTES);
    private long limit;
    /** The store file's identity (device and inode) as this process opened or compacted it; null before it exists. */
    private Object fileKey;
    private boolean goneReported;

    H2Growth(Path dataDir) {
        this.dataDir = dataDir;
        this.limit = limitFor(size());
        this.fileKey = fileKey();
    }

    /**
     * Before a write, under the directory's lock: the store file must still be the one this process has open. A data
     * dir removed (or the file moved or replaced) while the edge runs leaves H2 writing into a file no path leads to:
     * each write would be acknowledged and lost at the next restart. Refused instead, logged once.
     */
    void checkFile() {
        Object now = fileKey();
        if (fileKey == null) {
            fileKey = now; // a new store: its file was made after this object, by the first connection
        }
        if (now != null && now.equals(fileKey)) {
            return;
        }
        String why = "the store file " + dataDir.resolve(H2Store.FILE) + (now == null ? " is gone" : " was replaced")
                + " since this edge opened it (data dir removed, moved or restored while it ran): writes are refused,"
                + " they would be lost; restart the edge (after restoring the data dir if it was removed)";
        if (!goneReported) {
            goneReported = true;
            LOG.severe(why);
        }
        throw new DirectoryException(DirectoryException.Kind.UNAVAILABLE, why);
    }

    /** Opens the store again: a connection, which holds the file's lock. */
    @FunctionalInterface
    interface Reopen {
        Object run() throws SQLException;
    }

    /**
     * After a committed write, under the directory's lock: closes the store with {@code closeStore} (its only
     * connection), compacts it and opens it again at once with {@code reopen}, so that the file's lock is free only while
     * it is compacted (another process could take the edge's store otherwise).
     */
    void afterWrite(Runnable closeStore, Reopen reopen) {
        long size = size();
        if (size <= limit) {
            return;
        }
        closeStore.run();
        long started = System.nanoTime();
        try {
            java.util.Optional<String> skipped = H2Store.compact(dataDir);
            long after = size();
            limit = limitFor(after);
            fileKey = fileKey(); // compaction writes a new file
            skipped.ifPresentOrElse(LOG::warning, () -> LOG.info(String.format("directory store compacted from %d to %d kB"
                    + " in %d ms", size / 1024, after / 1024, (System.nanoTime() - started) / 1_000_000)));
        } catch (SQLException e) {
            LOG.log(Level.WARNING, "directory store: compaction failed, tried again after more writes: " + e.getMessage());
            limit = limitFor(size);
        }
        try {
            reopen.run();
        } catch (SQLException e) {
            LOG.log(Level.WARNING, "directory store: cannot open it again after compaction (retried at the next use): "
                    + e.getMessage());
        }
    }

    private long limitFor(long size) {
        return Math.max(minBytes, FACTOR * size);
    }

    /** Whether this process cannot write the store file now (a stat). */
    boolean unwritable() {
        return FileAccess.unwritable(dataDir.resolve(H2Store.FILE)).isPresent();
    }

    private Object fileKey() {
        return H2Store.fileKey(dataDir.resolve(H2Store.FILE));
    }

    private long size() {
        return H2Store.sizeOf(dataDir.resolve(H2Store.FILE));
    }
}
