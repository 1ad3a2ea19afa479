package dev.vpctunnel.connector.origin;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;

/**
 * The last handler of an origin connection's pipeline (after its {@link OriginCodec}). While a fetch uses the connection
 * it hands every event to that fetch's {@link Listener}; while idle in the pool any data or close evicts it.
 */
final class OriginConnection extends ChannelInboundHandlerAdapter {

    /** The fetch using the connection. Called on the connection's event loop. */
    interface Listener {
        void onOriginMessage(HttpObject msg);

        void onOriginReadComplete();

        void onOriginClosed(Throwable cause);
    }

    private final PoolKey key;
    private final OriginPool pool;
    private Channel channel;
    private Listener listener;
    /** Taken from the pool rather than freshly dialed: the origin may have closed it meanwhile. */
    boolean reused;
    /** Set while idle in the pool. */
    ScheduledFuture<?> idleTimer;
    /** While idle in the pool: when (System.nanoTime) it must not be handed out any more, its timer late or not. */
    long idleUntil;
    /** How long the origin's last response said it keeps the connection idle ({@link KeepAliveHint}). */
    long holdMillis = KeepAliveHint.NONE;
    private OriginCodec codec;

    OriginConnection(PoolKey key, OriginPool pool) {
        this.key = key;
        this.pool = pool;
    }

    PoolKey key() {
        return key;
    }

    Channel channel() {
        return channel;
    }

    /** After a complete keep-alive exchange. Call on the connection's loop. */
    void returnToPool() {
        pool.release(this);
    }

    /** Whether the origin keeps the connection open after response r; notes how long it said it would. */
    boolean keptAliveBy(HttpResponse r) {
        holdMillis = KeepAliveHint.holdMillis(r.headers().get(HttpHeaderNames.KEEP_ALIVE));
        return HttpUtil.isKeepAlive(r);
    }

    void listener(Listener l) {
        this.listener = l;
    }

    void codec(OriginCodec c) {
        this.codec = c;
    }

    /** No fetch uses it (in the pool, or not handed out yet). Call on the connection's loop. */
    boolean idle() {
        return listener == null;
    }

    /** Nothing beyond the last response is buffered: the next response will be the next request's. On its loop. */
    boolean clean() {
        return codec == null || codec.clean();
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        channel = ctx.channel();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        Listener l = listener;
        if (l != null && msg instanceof HttpObject o) {
            l.onOriginMessage(o);
            return;
        }
        ReferenceCountUtil.release(msg);
        // Bytes from an idle connection: the origin is talking out of turn, never reuse it.
        ctx.close();
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        Listener l = listener;
        if (l != null) {
            l.onOriginReadComplete();
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        Listener l = listener;
        listener = null;
        pool.evict(this);
        if (l != null) {
            l.onOriginClosed(null);
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        Listener l = listener;
        listener = null;
        ctx.close();
        if (l != null) {
            l.onOriginClosed(cause);
        }
    }
}
