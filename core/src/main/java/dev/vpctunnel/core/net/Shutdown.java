package dev.vpctunnel.core.net;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.logging.Logger;

/**
 * SIGTERM and SIGINT start a graceful drain once; the process then exits with the drain's status (0). A second signal
 * during the drain stops the process at once (exit 1), as cloudflared's second SIGINT/SIGTERM does: an operator
 * who pressed Ctrl-C twice does not wait out the grace period; one within 200 ms of the first is the same stop sent
 * twice (GNU timeout signals its child and then its process group) and changes nothing. SIGHUP (the terminal it ran in closed) drains the same
 * way instead of the JVM's silent exit 129 that cut fetches in flight, and a second SIGHUP (a closing terminal may send
 * two) changes nothing; under nohup it stays ignored (the JVM does not take over a signal ignored at its start).
 */
public final class Shutdown {
    private static final Logger LOG = Logger.getLogger(Shutdown.class.getName());
    private final CountDownLatch requested = new CountDownLatch(1);
    private final AtomicBoolean once = new AtomicBoolean();
    /** A second SIGTERM or SIGINT this soon after the first is the same one delivered twice, not a second request. */
    private static final long ECHO_NANOS = 200_000_000L;
    private volatile long firstAt;

    public Shutdown install() {
        for (String name : new String[] {"TERM", "INT", "HUP"}) {
            handle(name);
        }
        return this;
    }

    private void handle(String name) {
        try {
            sun.misc.Signal.handle(new sun.misc.Signal(name), sig -> {
                if (once.compareAndSet(false, true)) {
                    firstAt = System.nanoTime();
                    LOG.info(() -> "SIG" + name + " received, draining (send SIGTERM or SIGINT again to stop at once)");
                    requested.countDown();
                } else if (name.equals("HUP")) {
                    // a closing terminal's shell and kernel may both send it: the drain goes on
                    LOG.fine("SIGHUP received again: the drain goes on");
                } else if (System.nanoTime() - firstAt < ECHO_NANOS) {
                    // the same stop sent twice at once (GNU timeout signals the process and then its process group):
                    // not an operator asking again
                    LOG.fine(() -> "SIG" + name + " received again within " + ECHO_NANOS / 1_000_000 + " ms: the drain goes on");
                } else {
                    LOG.warning(() -> "SIG" + name + " received again: stopping now, without waiting for streams in flight");
                    Runtime.getRuntime().halt(1);
                }
            });
        } catch (IllegalArgumentException e) {
            // a signal the JVM keeps for itself (-Xrs): its default stays (one ignored at start, SIGHUP under nohup,
            // the JVM leaves ignored without refusing: ShutdownSignalTest)
        }
    }

    /** Blocks until a signal arrives. */
    public void await() throws InterruptedException {
        requested.await();
    }

    /** True once a signal (or {@link #request}) started the drain. */
    public boolean requested() {
        return requested.getCount() == 0;
    }

    public void request() {
        if (once.compareAndSet(false, true)) {
            requested.countDown();
        }
    }
}
