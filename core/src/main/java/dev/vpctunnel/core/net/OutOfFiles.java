package dev.vpctunnel.core.net;

import java.util.Locale;
import java.util.Optional;

/**
 * A failure caused by running out of file descriptors, said as such. Netty reports a socket it could not open as
 * "Unable to create Channel from class … EpollSocketChannel" with the EMFILE three causes down, and its accept loop as
 * "accept(..) failed with error(-24): Too many open files": neither says what to change.
 */
public final class OutOfFiles {
    /** strerror(EMFILE): this process is at its RLIMIT_NOFILE. */
    private static final String EMFILE = "too many open files";
    /** strerror(ENFILE): the system's file table is full. */
    private static final String ENFILE = "too many open files in system";
    /** Causes looked at: Netty's chain is 4 deep; a cycle or a very deep chain ends the search. */
    private static final int MAX_DEPTH = 16;

    private OutOfFiles() {
    }

    /**
     * What to tell the operator when {@code t} or one of its causes is EMFILE or ENFILE, or empty. {@code process}
     * names who ran out ("the connector").
     */
    public static Optional<String> describe(Throwable t, String process) {
        String errno = errno(t);
        if (errno == null) {
            return Optional.empty();
        }
        if (errno.equals(ENFILE)) {
            return Optional.of(process + " is out of file descriptors: the system's file table is full (too many open"
                    + " files in system); raise fs.file-max (sysctl) or stop what holds them");
        }
        long limit = limit();
        return Optional.of(process + " is out of file descriptors (too many open files" + (limit > 0 ? ", limit " + limit : "")
                + "); raise its limit (ulimit -n, or LimitNOFILE= in its systemd unit)");
    }

    /** Whether {@code t} or one of its causes is EMFILE or ENFILE. */
    public static boolean in(Throwable t) {
        return errno(t) != null;
    }

    /** ENFILE's or EMFILE's text when a message in t's causes has it, else null. */
    private static String errno(Throwable t) {
        for (int i = 0; t != null && i < MAX_DEPTH; i++, t = t.getCause()) {
            String m = t.getMessage() == null ? "" : t.getMessage().toLowerCase(Locale.ROOT);
            if (m.contains(ENFILE)) {
                return ENFILE;
            }
            if (m.contains(EMFILE)) {
                return EMFILE;
            }
        }
        return null;
    }

    /**
     * This process's open-file limit (the soft RLIMIT_NOFILE), or -1: asked of the JVM (getrlimit), which needs no file
     * descriptor, unlike reading /proc/self/limits at the moment there is none.
     */
    public static long limit() {
        return java.lang.management.ManagementFactory.getOperatingSystemMXBean()
                instanceof com.sun.management.UnixOperatingSystemMXBean u ? u.getMaxFileDescriptorCount() : -1;
    }
}
