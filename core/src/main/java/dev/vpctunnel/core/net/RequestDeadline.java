package dev.vpctunnel.core.net;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.LastHttpContent;

import java.time.Duration;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * A deadline for receiving a whole HTTP/1.1 request (head and body): it runs from the connection's start for the
 * first request, and for later ones from the first read that brings bytes after the previous request was complete
 * (the start of a next request that came in the same read as the end of the previous one is timed from the next
 * read; if none comes, that is idleness). A client that has not delivered the request by then (one byte every few
 * seconds, or a request line never finished) is closed. While the server itself has stopped reading (auto-read off, e.g. while it answers earlier pipelined
 * requests) the deadline does not expire: it starts over. An idle keep-alive connection (no byte of a next request)
 * is not this class's business; pair it with an idle timeout.
 *
 * <p>Two handlers share one deadline: {@link #bytes()} goes before the HTTP codec (it sees when bytes arrive) and
 * {@link #requests()} right after it (it sees when a request is complete). One instance per connection.
 */
public final class RequestDeadline {
    private final long timeoutNanos;
    private ChannelHandlerContext ctx;
    private ScheduledFuture<?> timer;
    private boolean closed;

    public RequestDeadline(Duration timeout) {
        if (timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("request deadline must be positive: " + timeout);
        }
        this.timeoutNanos = timeout.toNanos();
    }

    /** The handler to put before the HTTP codec. */
    public ChannelHandler bytes() {
        return new Bytes();
    }

    /** The handler to put right after the HTTP codec. */
    public ChannelHandler requests() {
        return new Requests();
    }

    private void arm() {
        if (timer == null && !closed && ctx != null) {
            timer = ctx.executor().schedule(this::expired, timeoutNanos, TimeUnit.NANOSECONDS);
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
        if (closed || !ctx.channel().isActive()) {
            return;
        }
        if (!ctx.channel().config().isAutoRead()) {
            arm(); // we are not reading: not the client's delay
            return;
        }
        closed = true;
        ctx.close();
    }

    private final class Bytes extends ChannelDuplexHandler {
        @Override
        public void handlerAdded(ChannelHandlerContext c) {
            ctx = c;
            if (c.channel().isActive()) {
                arm();
            }
        }

        @Override
        public void channelActive(ChannelHandlerContext c) {
            arm();
            c.fireChannelActive();
        }

        @Override
        public void channelRead(ChannelHandlerContext c, Object msg) {
            if (msg instanceof ByteBuf b && b.isReadable()) {
                arm(); // no-op while a request is already being received
            }
            c.fireChannelRead(msg);
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

    private final class Requests extends ChannelInboundHandlerAdapter {
        @Override
        public void channelRead(ChannelHandlerContext c, Object msg) {
            if (msg instanceof LastHttpContent) {
                disarm(); // complete (a FullHttpRequest, a decoder failure included, is a LastHttpContent too)
            }
            c.fireChannelRead(msg);
        }
    }
}
