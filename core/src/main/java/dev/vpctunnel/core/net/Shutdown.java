package dev.vpctunnel.core.net;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Logger;

/**
 * SIGTERM and SIGINT start a graceful drain once; the process then exits with the drain's status (0). A second signal
 * during the drain stops the process at once (exit 1), as cloudflared's second SIGINT/SIGTERM does: an operator
 * who pressed Ctrl-C twice does not wait out the grace period; one within 50 ms of the first is the same stop sent
 * twice (GNU timeout signals its child and then its process group: the two arrive a few ms apart) and changes nothing
 * but a line saying so. SIGHUP (the terminal it ran in closed) drains the same way instead of the JVM's silent exit 129
 * that cut fetches in flight, and a second SIGHUP (a closing terminal may send two) changes nothing; under nohup it
 * stays ignored (the JVM does not take over a signal ignored at its start).
 */
public final class Shutdown {
    private static final Logger LOG = Logger.getLogger(Shutdown.class.getName());
    /** A second SIGTERM or SIGINT this soon after the first is the same one delivered twice, not a second request. */
    static final long ECHO_NANOS = 50_000_000L;
    private final CountDownLatch requested = new CountDownLatch(1);
    /**
     * When the drain was asked for (System.nanoTime() with its lowest bit set, never 0), or 0: one gate, so that a
     * second signal handled at the same moment as the first (each signal gets its own thread) sees the first's time.
     */
    private final AtomicLong started = new AtomicLong();

    /** What a signal does. */
    enum Action { DRAIN, IGNORE, ECHO, HALT }

    public Shutdown install() {
        for (String name : new String[] {"TERM", "INT", "HUP"}) {
            handle(name);
        }
        return this;
    }

    private void handle(String name) {
        try {
            sun.misc.Signal.handle(new sun.misc.Signal(name), sig -> {
                switch (signal(name, System.nanoTime())) {
                    case DRAIN -> {
                        LOG.info(() -> "SIG" + name + " received, draining (send SIGTERM or SIGINT again to stop at once)");
                        requested.countDown(); // after the line: the drain may end the process at once
                    }
                    case IGNORE -> LOG.fine("SIGHUP received again: the drain goes on"); // a closing terminal may send two
                    case ECHO -> LOG.info(() -> "SIG" + name + " received again within " + ECHO_NANOS / 1_000_000 + " ms: the"
                            + " same stop sent twice, the drain goes on (send it again to stop at once)");
                    case HALT -> {
                        LOG.warning(() -> "SIG" + name + " received again: stopping now, without waiting for streams in flight");
                        Runtime.getRuntime().halt(1);
                    }
                }
            });
        } catch (IllegalArgumentException e) {
            // a signal the JVM keeps for itself (-Xrs): its default stays (one ignored at start, SIGHUP under nohup,
            // the JVM leaves ignored without refusing: ShutdownSignalTest)
        }
    }

    /**
     * What signal {@code name} ("TERM", "INT", "HUP") received at {@code now} does: the first one is to start the drain
     * (the caller then releases {@link #await}).
     */
    Action signal(String name, long now) {
        long first = started.get();
        if (first == 0 && started.compareAndSet(0, now | 1)) {
            return Action.DRAIN;
        }
        if (name.equals("HUP")) {
            return Action.IGNORE;
        }
        first = started.get();
        return now - first < ECHO_NANOS ? Action.ECHO : Action.HALT;
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
        if (started.compareAndSet(0, System.nanoTime() | 1)) {
            requested.countDown();
        }
    }
}
