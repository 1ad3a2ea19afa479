package dev.vpctunnel.connector.link;

import io.netty.channel.Channel;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * A link's fetch streams: how many are open, and whether the ones the edge opens now are taken or refused. A stream is
 * counted before the check ({@link StreamDispatcher}): a drain beginning on another thread meanwhile either sees it
 * and waits for it, or has already closed the gate and the check refuses it (its close takes the count back).
 */
final class FetchGate {
    private final AtomicInteger open = new AtomicInteger();
    private final Runnable onStreamClosed;
    /** Streams that arrive are refused (RST_STREAM(REFUSED_STREAM)): the edge sends them on another link. */
    private volatile boolean refusing;
    /** The connector drains and the edge has not acknowledged the notice yet: it may still open streams here. */
    private volatile boolean noticePending;

    FetchGate(Runnable onStreamClosed) {
        this.onStreamClosed = onStreamClosed;
    }

    /** Counts {@code stream} until its channel closes. */
    void opened(Channel stream) {
        open.incrementAndGet();
        stream.closeFuture().addListener(f -> {
            open.decrementAndGet();
            onStreamClosed.run();
        });
    }

    int open() {
        return open.get();
    }

    boolean refusing() {
        return refusing;
    }

    /** Streams that arrive from now on are refused, until {@link #reopen}. */
    void refuse() {
        refusing = true;
    }

    /** A new connection of the link: its streams are taken. */
    void reopen() {
        refusing = false;
        noticePending = false;
    }

    boolean noticePending() {
        return noticePending;
    }

    void noticePending(boolean pending) {
        noticePending = pending;
    }

    /**
     * The edge acknowledged the drain notice, so every stream it opened on the link has arrived: the rest are refused.
     * Also when it did not answer in time (gone, or its link stalled). Refusing is set first: whoever sees the notice
     * answered sees the refusal, so a stream counted after that check is refused, not taken unnoticed.
     */
    void noticeAnswered() {
        refusing = true;
        noticePending = false;
    }
}
