package dev.vpctunnel.edge.gateway;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpStatusClass;
import io.netty.handler.codec.http.LastHttpContent;

import java.time.Duration;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * A deadline for an HTTP/1.1 worker's request head: from the first byte of a request until its head is decoded (the
 * connection's first head from the connection's accept: a connection holds a file descriptor from then on). A
 * client that trickles a head (a byte every few seconds keeps the idle timeout away) gets 408 and the connection
 * closes. Only the head: a body may stream as slowly as the Worker sends it. Not the client's delay, and so never
 * timed: while earlier requests on the connection still wait for their answers (a pipelined head is not read on).
 *
 * <p>Two handlers share it: {@link #bytes()} before the HTTP codec (bytes arrive, answers go out) and
 * {@link #heads()} right after it (a head or a body's end was decoded). One instance per connection.
 */
final class HeadDeadline {
    private final long timeoutNanos;
    /** When the connection was accepted (System.nanoTime()): the first head's clock starts there. */
    private final long accepted;
    /** Told when the connection is idle (all answered, no next head begun) and when it is not. */
    private final ConnectionLimit.Slot slot;
    private ChannelHandlerContext ctx;
    /** At most one pending check per connection, not one per request: it looks at the head under way when it runs. */
    private ScheduledFuture<?> timer;
    private long headStarted;
    /** Bytes of empty lines since the last head, and when the first of them came: a few are allowed, not a stream. */
    private long blanks;
    private long blanksSince;
    private boolean inHead;
    private boolean inBody;
    /** Requests whose head was decoded and whose answer has not fully gone out yet. */
    private int unanswered;
    private boolean closed;

    /** Bytes of empty lines allowed between two requests before they are timed as a head. */
    static final int MAX_BLANKS = 64;

    HeadDeadline(Duration timeout, long accepted, ConnectionLimit.Slot slot) {
        this.timeoutNanos = timeout.toNanos();
        this.accepted = accepted;
        this.slot = slot;
    }

    ChannelHandler bytes() {
        return new Bytes();
    }

    ChannelHandler heads() {
        return new Heads();
    }

    private void arm(long delayNanos) {
        if (timer == null && !closed) {
            timer = ctx.executor().schedule(this::expired, delayNanos, TimeUnit.NANOSECONDS);
        }
    }

    private void disarm() {
        if (timer != null) {
            timer.cancel(false);
            timer = null;
        }
    }

    private void expired() {
        timer = null;
        if (closed || !inHead || !ctx.channel().isActive()) {
            return; // the next head arms it again
        }
        long left = headStarted + timeoutNanos - System.nanoTime();
        if (left > 0) {
            arm(left); // a later head than the one this check was set for
            return;
        }
        if (unanswered > 0) {
            headStarted = System.nanoTime();
            arm(timeoutNanos); // the connection is still busy with earlier requests: the head waits for us, not the worker
            return;
        }
        closed = true;
        // through the whole pipeline: this handler sits before the HTTP codec that encodes the answer
        ctx.channel().writeAndFlush(MalformedRequest.response(ctx.alloc(), HttpResponseStatus.REQUEST_TIMEOUT,
                "request head not received within " + TimeUnit.NANOSECONDS.toSeconds(timeoutNanos) + " s"))
                // the worker may still be sending: a plain close would reset the 408 away
                .addListener(f -> AnswerClose.after(ctx, f.isSuccess()));
    }

    private final class Bytes extends ChannelDuplexHandler {
        @Override
        public void handlerAdded(ChannelHandlerContext c) {
            ctx = c;
            startHead(accepted, System.nanoTime()); // added on the first bytes: the first head is under way since accept
        }

        @Override
        public void channelRead(ChannelHandlerContext c, Object msg) {
            if (msg instanceof ByteBuf b && !inBody && !inHead) {
                long now = System.nanoTime();
                if (startsHead(b)) {
                    startHead(now, now);
                } else {
                    if (blanks == 0) {
                        blanksSince = now;
                    }
                    blanks += b.readableBytes();
                    if (blanks > MAX_BLANKS) {
                        // nothing but empty lines, on and on (a CRLF a second held a connection for ever): timed as a
                        // head from the first of them
                        startHead(blanksSince, now);
                    }
                }
            }
            c.fireChannelRead(msg);
        }

        private void startHead(long started, long now) {
            inHead = true;
            slot.busy();
            headStarted = started;
            arm(Math.max(0, started + timeoutNanos - now)); // no-op while a check is pending: it will see this head
        }

        /**
         * Bytes other than the empty lines a client may send between requests (RFC 9112 2.2), which are no head as
         * long as they are a few ({@link #MAX_BLANKS} bytes).
         */
        private boolean startsHead(ByteBuf b) {
            return b.forEachByte(x -> x == '\r' || x == '\n' || x == ' ' || x == '\t') >= 0;
        }

        @Override
        public void channelInactive(ChannelHandlerContext c) {
            closed = true;
            disarm();
            c.fireChannelInactive();
        }

        @Override
        public void handlerRemoved(ChannelHandlerContext c) {
            closed = true;
            disarm();
        }
    }

    /**
     * Counts the answers here, after the HTTP codec: {@link Bytes}, before it, sees the answers encoded as bytes (it
     * counted them there once, saw none, and a later head on a keep-alive connection was never timed).
     */
    private final class Heads extends ChannelDuplexHandler {
        @Override
        public void write(ChannelHandlerContext c, Object msg, ChannelPromise promise) {
            boolean informational = msg instanceof HttpResponse r && r.status().codeClass() == HttpStatusClass.INFORMATIONAL;
            if (msg instanceof LastHttpContent && !informational && unanswered > 0
                    && --unanswered == 0 && !inHead && !inBody) { // a FullHttpResponse is one too; a 100 Continue is not the answer
                slot.idle();
            }
            c.write(msg, promise);
        }

        @Override
        public void channelRead(ChannelHandlerContext c, Object msg) {
            if (msg instanceof HttpRequest) {
                inHead = false; // the pending check, if any, finds nothing to do
                blanks = 0;
                inBody = true;
                unanswered++;
            }
            if (msg instanceof LastHttpContent) {
                inBody = false; // the next bytes start the next head (a FullHttpRequest ends here at once)
                if (unanswered == 0 && !inHead) {
                    slot.idle(); // answered before its body ended (an error answer: the rest was read and dropped)
                }
            }
            c.fireChannelRead(msg);
        }
    }
}
