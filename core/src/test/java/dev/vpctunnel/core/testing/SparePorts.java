package dev.vpctunnel.core.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;

/**
 * Loopback ports a test keeps free on purpose: one where nothing listens (a connection to it is refused), or one an
 * edge closes and comes back on. A port from {@code new ServerSocket(0)}, closed, is no good for that while other test
 * JVMs run beside this one (Maven modules or surefire forks in parallel): their own {@code bind(0)} and outgoing
 * connections draw from the same ephemeral range and can take it meanwhile.
 *
 * <p>These ports lie below the ephemeral range (Linux's starts at 32768), where nothing draws at random. Each JVM
 * claims a block of {@value #BLOCK} ports by keeping the block's first port bound for its whole life (a JVM that finds it
 * taken tries the next block), and hands out the others one by one, each checked to be free when it is handed out.
 */
public final class SparePorts {
    private static final int FIRST = 20_000;
    private static final int LAST = 26_799; // the shell suites' loopback ports start at 26800 (and run after these)
    private static final int BLOCK = 100;

    private static int base = -1;
    private static int next;
    @SuppressWarnings("unused") // held, never read: it keeps the block this JVM's
    private static ServerSocket claim;

    private SparePorts() {
    }

    /** A loopback port nothing listens on now, and that no other test takes: this JVM's to leave free or to bind. */
    public static synchronized int next() {
        if (base < 0) {
            claimBlock();
        }
        while (next < base + BLOCK) {
            int port = next++;
            if (free(port)) {
                return port;
            }
        }
        throw new IllegalStateException("this test JVM used all " + (BLOCK - 1) + " spare ports from " + base);
    }

    private static void claimBlock() {
        for (int b = FIRST; b + BLOCK - 1 <= LAST; b += BLOCK) {
            try {
                ServerSocket s = new ServerSocket();
                s.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), b), 1);
                claim = s;
                base = b;
                next = b + 1;
                return;
            } catch (IOException taken) {
                // another JVM's block (or something else listens there): the next one
            }
        }
        throw new UncheckedIOException(new IOException("no free block of spare ports between " + FIRST + " and " + LAST));
    }

    private static boolean free(int port) {
        try (ServerSocket s = new ServerSocket()) {
            s.setReuseAddress(true);
            s.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 1);
            return true;
        } catch (IOException e) {
            return false;
        }
    }
}
