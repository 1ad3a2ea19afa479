package dev.vpctunnel.core.net;

import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.handler.timeout.IdleStateEvent;

import java.time.Duration;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * Netty's IdleStateHandler without a listener on every write: activity is when a read arrives or a write is issued
 * (not when it completes), which is all a heartbeat or an idle timeout needs, and it saves a promise listener per
 * frame on the data path. Fires {@link IdleStateEvent}s (first events only, like IdleStateHandler's first event) to
 * {@link #idle}, which by default passes them down the pipeline. A zero duration turns that kind of idleness off.
 */
public class IdleWatch extends ChannelDuplexHandler {
    private final long readerIdle;
    private final long writerIdle;
    private final long allIdle;
    private long lastRead;
    private long lastWrite;
    private boolean readerFired;
    private boolean writerFired;
    private boolean allFired;
    private ChannelHandlerContext ctx;
    private ScheduledFuture<?> check;
    private boolean stopped;

    public IdleWatch(Duration readerIdle, Duration writerIdle, Duration allIdle) {
        this.readerIdle = readerIdle.toNanos();
        this.writerIdle = writerIdle.toNanos();
        this.allIdle = allIdle.toNanos();
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
        if (ctx.channel().isActive() && ctx.channel().isRegistered()) {
            start();
        }
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        start();
        ctx.fireChannelActive();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        stop();
        ctx.fireChannelInactive();
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        stop();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        lastRead = System.nanoTime();
        readerFired = false;
        allFired = false;
        ctx.fireChannelRead(msg);
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        lastWrite = System.nanoTime();
        writerFired = false;
        allFired = false;
        ctx.write(msg, promise);
    }

    /**
     * Counts now as activity: every idle period starts over. For an {@link #idle} that finds the channel busy after
     * all (waiting on something other than its peer).
     */
    protected final void restart() {
        lastRead = lastWrite = System.nanoTime();
        readerFired = writerFired = allFired = false;
    }

    /** Called on the channel's loop when a kind of idleness is reached. */
    protected void idle(ChannelHandlerContext ctx, IdleStateEvent evt) {
        ctx.fireUserEventTriggered(evt);
    }

    private void start() {
        if (check != null || stopped) {
            return;
        }
        lastRead = lastWrite = System.nanoTime();
        schedule(System.nanoTime());
    }

    private void stop() {
        stopped = true;
        if (check != null) {
            check.cancel(false);
            check = null;
        }
    }

    private void schedule(long now) {
        long next = Long.MAX_VALUE;
        if (readerIdle > 0 && !readerFired) {
            next = Math.min(next, lastRead + readerIdle - now);
        }
        if (writerIdle > 0 && !writerFired) {
            next = Math.min(next, lastWrite + writerIdle - now);
        }
        if (allIdle > 0 && !allFired) {
            next = Math.min(next, Math.max(lastRead, lastWrite) + allIdle - now);
        }
        if (next == Long.MAX_VALUE) {
            // everything fired: look again after the shortest period, activity may have re-armed it by then
            next = Math.min(readerIdle > 0 ? readerIdle : Long.MAX_VALUE, Math.min(writerIdle > 0 ? writerIdle : Long.MAX_VALUE,
                    allIdle > 0 ? allIdle : Long.MAX_VALUE));
            if (next == Long.MAX_VALUE) {
                return;
            }
        }
        check = ctx.executor().schedule(this::check, Math.max(next, TimeUnit.MILLISECONDS.toNanos(1)), TimeUnit.NANOSECONDS);
    }

    private void check() {
        check = null;
        if (stopped || !ctx.channel().isOpen()) {
            return;
        }
        long now = System.nanoTime();
        if (readerIdle > 0 && !readerFired && now - lastRead >= readerIdle) {
            readerFired = true;
            idle(ctx, IdleStateEvent.FIRST_READER_IDLE_STATE_EVENT);
        }
        if (writerIdle > 0 && !writerFired && now - lastWrite >= writerIdle) {
            writerFired = true;
            idle(ctx, IdleStateEvent.FIRST_WRITER_IDLE_STATE_EVENT);
        }
        if (allIdle > 0 && !allFired && now - Math.max(lastRead, lastWrite) >= allIdle) {
            allFired = true;
            idle(ctx, IdleStateEvent.FIRST_ALL_IDLE_STATE_EVENT);
        }
        if (!stopped && ctx.channel().isOpen()) {
            schedule(System.nanoTime());
        }
    }
}
