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

    ReadPause(Channel channel) {
        this.channel = channel;
    }

    void pause(int holder) {
        holders |= holder;
        channel.config().setAutoRead(false);
    }

    void resume(int holder) {
        holders &= ~holder;
        if (holders == 0) {
            channel.config().setAutoRead(true);
        }
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
