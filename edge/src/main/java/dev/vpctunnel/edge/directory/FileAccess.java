package dev.vpctunnel.edge.directory;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Optional;

/**
 * Permission problems with a data dir and its files, said as such, with the owner, the mode and the user the edge runs
 * as: an unreadable data dir looked like one never initialised, and an unreadable store like a damaged one, whose
 * advice (restore it from a backup) could make an operator overwrite a good store with an old one. Root passes every
 * permission check, so these only ever speak for other users (a systemd User=, a container's).
 */
public final class FileAccess {
    private static final int MAX_DEPTH = 16;

    private FileAccess() {
    }

    /**
     * Why this process cannot read {@code names} in {@code dir} ("cannot read PATH: permission denied (owner root, mode
     * 0700; the edge runs as nobody)", PATH the directory when it cannot be searched), or empty. A file that is missing
     * or is no regular file is left to the caller's own checks. Opens each file and closes it again: call it before the
     * store is open in this process (closing a file releases the process's locks on it).
     */
    public static Optional<String> unreadable(Path dir, String... names) {
        for (String name : names) {
            Path p = dir.resolve(name);
            try {
                if (Files.readAttributes(p, BasicFileAttributes.class).isRegularFile()) {
                    FileChannel.open(p, StandardOpenOption.READ).close();
                }
            } catch (AccessDeniedException e) {
                return Optional.of("cannot read " + denied(blame(p)));
            } catch (IOException e) {
                // missing, or another problem the caller's own check reports
            }
        }
        return Optional.empty();
    }

    /**
     * Why this process cannot write {@code file} ("cannot write PATH: permission denied (owner …)" or "…: read-only
     * file system"), or empty when it can or the file does not exist. Opens nothing.
     */
    public static Optional<String> unwritable(Path file) {
        if (!Files.isRegularFile(file) || Files.isWritable(file)) {
            return Optional.empty();
        }
        try {
            if (Files.getFileStore(file).isReadOnly()) {
                return Optional.of("cannot write " + file + ": read-only file system");
            }
        } catch (IOException e) {
            // not known: the permission is the likelier reason
        }
        return Optional.of("cannot write " + denied(file));
    }

    /**
     * "cannot open PATH: permission denied (…)" when {@code t} or one of its causes is a denied file access (H2 puts
     * it three causes down, under "IO Exception: PATH"), or empty.
     */
    public static Optional<String> deniedIn(Throwable t) {
        for (int i = 0; t != null && i < MAX_DEPTH; i++, t = t.getCause()) {
            if (t instanceof AccessDeniedException e && e.getFile() != null) {
                return Optional.of("cannot open " + denied(blame(Path.of(e.getFile()))));
            }
        }
        return Optional.empty();
    }

    /** "PATH: permission denied (owner root, mode 0700; the edge runs as nobody)", what is known of the owner and mode. */
    static String denied(Path p) {
        String owner = null;
        Integer mode = null;
        try {
            owner = Files.getOwner(p).getName();
            mode = (Integer) Files.getAttribute(p, "unix:mode") & 07777;
        } catch (IOException | RuntimeException e) {
            // its directory cannot be searched either: the user alone
        }
        return denied(p, owner, mode, user());
    }

    static String denied(Path p, String owner, Integer mode, String user) {
        java.util.List<String> known = new java.util.ArrayList<>();
        if (owner != null) {
            known.add("owner " + owner);
        }
        if (mode != null) {
            known.add(String.format("mode %04o", mode));
        }
        return p + ": permission denied (" + (known.isEmpty() ? "" : String.join(", ", known) + "; ")
                + "the edge runs as " + user + ")";
    }

    /**
     * The outermost directory on the way to {@code p} that this process cannot search (its x bit), where a denied
     * look-up comes from; else p itself (its own permission bits).
     */
    static Path blame(Path p) {
        Path abs = p.toAbsolutePath();
        for (int i = 1; i < abs.getNameCount(); i++) {
            Path dir = abs.getRoot().resolve(abs.subpath(0, i));
            if (Files.isDirectory(dir) && !Files.isExecutable(dir)) {
                return dir;
            }
        }
        return p;
    }

    /** The user this process runs as, by name, else by uid. */
    static String user() {
        String name = System.getProperty("user.name");
        if (name != null && !name.isBlank() && !name.equals("?")) {
            return name;
        }
        try {
            return "uid " + Files.getAttribute(Path.of("/proc/self"), "unix:uid");
        } catch (IOException | RuntimeException e) {
            return "an unknown user";
        }
    }
}
