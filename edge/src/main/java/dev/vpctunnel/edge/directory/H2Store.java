package dev.vpctunnel.edge.directory;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Optional;

/**
 * The default embedded store of a data dir (H2, file DIR/directory.mv.db) and how it is kept safe.
 * <ul>
 * <li>WRITE_DELAY=0 writes each commit to the file before it returns: with H2's default (commits kept in memory up to
 * 500 ms) an edge killed with -9 lost writes the API had acknowledged.</li>
 * <li>REUSE_SPACE=FALSE: with space reuse on, H2 2.5 sometimes reopened a file at an older version after kill -9 and
 * dropped the last acknowledged commits, then kept reusing those chunk ids (an audit saw a later clean restart go
 * back 13 minutes; a harness of repeated kill -9 lost commits in 7 of 166 rounds with reuse, 0 of 173 without).
 * The file then only grows, by some kB per write, so {@link #compact} rewrites it when the edge starts and once it
 * has grown while the edge runs ({@link H2Growth}).</li>
 * </ul>
 */
public final class H2Store {
    /** The store file in the data dir. */
    public static final String FILE = "directory.mv.db";

    private H2Store() {
    }

    /**
     * H2 writes errors to a DIR/directory.trace.db of its own (stack traces of a store locked by a running edge, when
     * 'edge init' or a second 'edge serve' tries it): our own message says what happened, and the data dir stays as it was.
     */
    static final String NO_TRACE_FILE = ";TRACE_LEVEL_FILE=0";

    /**
     * A jdbc:h2:file: URL given with --store, with {@link #NO_TRACE_FILE} unless it sets the trace level itself (not a
     * server's jdbc:h2:tcp: URL, where setting it needs an admin user).
     */
    static String withoutTraceFile(String url) {
        return url.startsWith("jdbc:h2:file:") && !url.toUpperCase(java.util.Locale.ROOT).contains("TRACE_LEVEL_FILE")
                ? url + NO_TRACE_FILE : url;
    }

    public static String url(Path dataDir) {
        return "jdbc:h2:file:" + dataDir.toAbsolutePath().resolve("directory") + ";WRITE_DELAY=0;REUSE_SPACE=FALSE" + NO_TRACE_FILE;
    }

    /**
     * Rewrites the store file with only its live data (H2's SHUTDOWN COMPACT), when it exists and nobody has it open.
     * Call before opening the store in this process; throws as opening it would (in use by another edge, damaged).
     * What to warn of, if anything: H2 gives up a compaction its file system has no room for (it writes a copy)
     * without a word, and the file, which every write makes larger, stays as large as it was.
     */
    public static Optional<String> compact(Path dataDir) throws SQLException {
        Path file = dataDir.resolve(FILE);
        if (!Files.isRegularFile(file)) {
            return Optional.empty();
        }
        Object before = fileKey(file);
        String url = url(dataDir) + ";IFEXISTS=TRUE";
        try (Connection c = DriverManager.getConnection(url); Statement s = c.createStatement()) {
            s.execute("SHUTDOWN COMPACT");
        } catch (SQLException e) {
            throw new SQLException(StoreErrors.describe(e, url), e.getSQLState(), e.getErrorCode(), e);
        }
        if (before == null || before == NO_FILE_KEYS || !before.equals(fileKey(file))) {
            return Optional.empty(); // compacted: a new file took the old one's place
        }
        long size = sizeOf(file);
        long usable;
        try {
            usable = Files.getFileStore(file).getUsableSpace();
        } catch (java.io.IOException e) {
            return Optional.empty();
        }
        if (usable >= size) {
            return Optional.empty(); // not for want of room: a file it may not write (said apart), or no change
        }
        String free = usable / 1024 + " kB free";
        return Optional.of("directory store " + file + " (" + size / 1024 + " kB) could not be compacted: its file"
                + " system has " + free + " (compaction writes a copy of the live data); every API write makes the file"
                + " larger, and writes fail (503) once the disk is full: free some space");
    }

    /** What {@link #fileKey} gives on a file system without file keys. */
    private static final Object NO_FILE_KEYS = "no file keys here";

    /** The file's identity (device and inode; the same object on a file system without them), or null if unreadable. */
    static Object fileKey(Path file) {
        try {
            return java.util.Objects.requireNonNullElse(Files.readAttributes(file,
                    java.nio.file.attribute.BasicFileAttributes.class).fileKey(), NO_FILE_KEYS);
        } catch (java.io.IOException e) {
            return null;
        }
    }

    /** The file's size, 0 if it cannot be read. */
    static long sizeOf(Path file) {
        try {
            return Files.size(file);
        } catch (java.io.IOException e) {
            return 0;
        }
    }
}
