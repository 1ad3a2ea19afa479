package dev.vpctunnel.connector.cli;

import dev.vpctunnel.core.net.SystemdNotify;
import io.netty.channel.EventLoopGroup;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.ScheduledFuture;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.IntSupplier;

/**
 * What systemd hears of the links under {@code Type=notify}, as from cloudflared: {@code READY=1} when the first link
 * registered, the moment /ready turns 200; {@code STATUS=} whenever the number of links serving changes (systemctl
 * status shows it, also while the unit is still "activating" because no edge answers); {@code STOPPING=1} when
 * SIGTERM starts the drain.
 *
 * <p>The links have no listener for their registrations, so this samples the count /ready answers from (links
 * registered and not draining) every {@link #EVERY}, on one event loop: a few reads of volatile fields, and only while
 * NOTIFY_SOCKET is set; without it {@link #start} schedules nothing.
 */
final class SystemdLinks {
    static final Duration EVERY = Duration.ofMillis(200);
    private final SystemdNotify systemd;
    private final IntSupplier serving;
    private final int wanted;
    private final Duration every;
    private volatile boolean stopping;
    private EventExecutor loop;
    private ScheduledFuture<?> sampling;
    /** The count last told (-1: nothing yet) and whether READY=1 went out; read and written on {@link #loop} only. */
    private int told = -1;
    private boolean ready;

    /** {@code serving}: the links that take fetches now, of {@code wanted} (--ha-connections). */
    SystemdLinks(SystemdNotify systemd, IntSupplier serving, int wanted, Duration every) {
        this.systemd = systemd;
        this.serving = serving;
        this.wanted = wanted;
        this.every = every;
    }

    SystemdLinks start(EventLoopGroup group) {
        if (systemd.enabled()) {
            loop = group.next();
            sampling = loop.scheduleWithFixedDelay(this::sample, 0, every.toMillis(), TimeUnit.MILLISECONDS);
        }
        return this;
    }

    private void sample() {
        int now = serving.getAsInt();
        if (stopping || now == told) { // stopping is read after the count: a count a drain lowered is not told
            return;
        }
        told = now;
        String status = now + " of " + wanted + " links registered";
        if (now > 0 && !ready) {
            ready = true;
            systemd.ready(status);
        } else {
            systemd.status(now > 0 ? status : status + ", connecting");
        }
    }

    /**
     * STOPPING=1 with {@code status}, after anything told before; nothing is told after it. From any thread; completes
     * once sent (or failed), so that closing the socket cannot drop it.
     */
    CompletableFuture<Void> stopping(String status) {
        stopping = true;
        CompletableFuture<Void> sent = new CompletableFuture<>();
        if (loop == null) {
            sent.complete(null);
            return sent;
        }
        loop.execute(() -> {
            sampling.cancel(false);
            systemd.stopping(status).addListener(f -> sent.complete(null));
        });
        return sent;
    }
}
