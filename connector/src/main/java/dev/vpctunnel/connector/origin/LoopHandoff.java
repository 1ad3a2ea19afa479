package dev.vpctunnel.connector.origin;

import io.netty.channel.EventLoop;
import io.netty.handler.codec.http.HttpObject;
import io.netty.util.ReferenceCountUtil;

import java.util.concurrent.RejectedExecutionException;

/** Hands an origin connection's events to the event loop of the stream that uses it (one writer per channel). */
final class LoopHandoff implements OriginConnection.Listener {
    private final EventLoop target;
    private final OriginConnection.Listener delegate;

    LoopHandoff(EventLoop target, OriginConnection.Listener delegate) {
        this.target = target;
        this.delegate = delegate;
    }

    @Override
    public void onOriginMessage(HttpObject msg) {
        if (target.inEventLoop()) {
            delegate.onOriginMessage(msg);
            return;
        }
        try {
            target.execute(() -> delegate.onOriginMessage(msg));
        } catch (RejectedExecutionException e) {
            ReferenceCountUtil.release(msg);
        }
    }

    @Override
    public void onOriginReadComplete() {
        run(delegate::onOriginReadComplete);
    }

    @Override
    public void onOriginClosed(Throwable cause) {
        run(() -> delegate.onOriginClosed(cause));
    }

    private void run(Runnable r) {
        if (target.inEventLoop()) {
            r.run();
        } else {
            try {
                target.execute(r);
            } catch (RejectedExecutionException ignored) {
                // the stream's loop is shutting down: the stream is gone too
            }
        }
    }

    /** Runs r on the loop of conn. */
    static void onLoopOf(OriginConnection conn, Runnable r) {
        EventLoop loop = conn.channel().eventLoop();
        if (loop.inEventLoop()) {
            r.run();
        } else {
            loop.execute(r);
        }
    }
}
