package dev.vpctunnel.edge.api;

import io.netty.channel.Channel;

/**
 * Reading on an API connection pauses while any of its holders asks for it: {@link ApiHttpHandler} while requests are
 * queued or run, {@link TokenGate} while a token is checked (what was read meanwhile waits in the gate, so pausing is
 * what bounds it). Also whether a final answer was decided, after which the gate and the aggregator only drop what
 * arrives. Event loop only.
 */
final class ReadPause {
    static final int HANDLER = 1;
    static final int GATE = 2;
    private final Channel channel;
    private int holders;
    private boolean finalAnswer;
    private Runnable whenHandlerIdle;

    ReadPause(Channel channel) {
        this.channel = channel;
    }

    void pause(int holder) {
        holders |= holder;
        channel.config().setAutoRead(false);
    }

    void resume(int holder) {
        holders &= ~holder;
        Runnable r = whenHandlerIdle;
        if (holder == HANDLER && r != null) {
            whenHandlerIdle = null;
            r.run(); // may pause again
        }
        if (holders == 0) {
            channel.config().setAutoRead(true);
        }
    }

    /** Whether the API handler has requests queued or running (their answers are not all written yet). */
    boolean handlerBusy() {
        return (holders & HANDLER) != 0;
    }

    /** Runs {@code r} once the API handler has written the answers to every request it was given. */
    void whenHandlerIdle(Runnable r) {
        whenHandlerIdle = r;
    }

    /** A final answer was decided (the connection closes after it): what is read from now on is only dropped. */
    void finalAnswer() {
        finalAnswer = true;
    }

    boolean finalAnswerGiven() {
        return finalAnswer;
    }

    /** Reads on whatever was asked: after a final answer, what the client still sends is read and dropped. */
    void resumeAll() {
        holders = 0;
        channel.config().setAutoRead(true);
    }
}
