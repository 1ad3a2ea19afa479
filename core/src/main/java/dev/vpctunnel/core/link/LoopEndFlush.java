package dev.vpctunnel.core.link;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPromise;

/**
 * Turns the flushes of a link into one flush at the end of the event loop's current turn: what every stream wrote
 * while the loop handled its ready sockets goes out in as few TLS records and write calls as possible, the way
 * `ssh` writes its buffered channels once per poll round. A flush is never held longer than that turn, so latency
 * and backpressure are unchanged. Sits between the TLS handler and the HTTP/2 codec; one instance per link.
 */
public final class LoopEndFlush extends ChannelOutboundHandlerAdapter implements Runnable {
    private ChannelHandlerContext ctx;
    private boolean scheduled;

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
    }

    @Override
    public void flush(ChannelHandlerContext ctx) {
        if (!ctx.channel().isWritable()) {
            // a write-buffer's worth is waiting: bulk transfers go out at once, as without this handler (HTTP/2's
            // flow controller stops writing while the link is unwritable, and would wait for the turn to end)
            scheduled = false;
            ctx.flush();
            return;
        }
        if (!scheduled) {
            scheduled = true;
            ctx.executor().execute(this);
        }
    }

    @Override
    public void run() {
        if (scheduled) {
            scheduled = false;
            ctx.flush();
        }
    }

    @Override
    public void close(ChannelHandlerContext ctx, ChannelPromise promise) {
        run(); // what was written before the close goes out first
        ctx.close(promise);
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        run();
    }
}
