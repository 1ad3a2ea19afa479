package dev.vpctunnel.edge.api;

import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.handler.timeout.IdleStateEvent;

import java.util.ArrayDeque;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Hands each request to the blocking executor and writes the answer back on the channel's event loop. Reading
 * pauses while requests are queued and they run one at a time, so pipelined requests are answered in order.
 */
final class ApiHttpHandler extends SimpleChannelInboundHandler<FullHttpRequest> {
    private static final Logger LOG = Logger.getLogger(ApiHttpHandler.class.getName());

    private final ApiRouter router;
    private final ExecutorService executor;
    private final ReadPause reads;

    ApiHttpHandler(ApiRouter router, ExecutorService executor, ReadPause reads) {
        this.router = router;
        this.executor = executor;
        this.reads = reads;
    }

    /**
     * A request to route, or (request null) the answer already decided for it; {@code unread}: refused before it was
     * read whole ({@link Refused}), so the connection is shut gently while the rest of it is dropped.
     */
    private record Pending(ApiRequest request, ApiResponse refused, boolean keepAlive, boolean unread) {
        Pending(ApiRequest request, ApiResponse refused, boolean keepAlive) {
            this(request, refused, keepAlive, false);
        }
    }

    private final ArrayDeque<Pending> queue = new ArrayDeque<>();
    private boolean inFlight;

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) throws Exception {
        if (msg instanceof Refused r) {
            // in request order, after the answers to those pipelined before it; reading goes on (the gate drops it all)
            queue.add(new Pending(null, r.answer(), false, true));
            if (!inFlight) {
                next(ctx);
            }
            return;
        }
        super.channelRead(ctx, msg);
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest msg) {
        boolean keepAlive = HttpUtil.isKeepAlive(msg);
        if (msg.decoderResult().isFailure()) { // its body (the token gate answered a head that failed, HeadProblem)
            // after the answers to the requests before it (pipelined): the 400, then close; the decoder drops the rest
            queue.add(new Pending(null, Envelope.error(400, ApiException.CODE_INVALID, "malformed HTTP request"), false));
        } else {
            queue(msg, keepAlive);
        }
        reads.pause(ReadPause.HANDLER);
        if (!inFlight) {
            next(ctx);
        }
    }

    private void queue(FullHttpRequest msg, boolean keepAlive) {
        try {
            QueryStringDecoder uri = new QueryStringDecoder(msg.uri());
            queue.add(new Pending(new ApiRequest(msg.method().name(), uri.path(), uri.parameters(),
                    msg.headers().get(HttpHeaderNames.AUTHORIZATION), ByteBufUtil.getBytes(msg.content())), null,
                    keepAlive));
        } catch (IllegalArgumentException e) {
            // queued like a request, so that pipelined answers stay in order
            queue.add(new Pending(null, Envelope.error(400, ApiException.CODE_INVALID,
                    "malformed %-escape in the request path or query: " + e.getMessage()), keepAlive));
        }
    }

    /** Runs the oldest queued request on the executor; answers go out in request order. */
    private void next(ChannelHandlerContext ctx) {
        Pending p = queue.poll();
        if (p == null) {
            reads.resume(ReadPause.HANDLER);
            return;
        }
        inFlight = true;
        try {
            executor.execute(() -> {
                ApiResponse res = p.request() == null ? p.refused() : router.handle(p.request());
                // a client without a valid token keeps no connection (it would hold one of the API's few)
                boolean keepAlive = p.keepAlive() && res.status() != 401;
                ctx.channel().eventLoop().execute(() -> {
                    inFlight = false;
                    if (p.unread()) {
                        answerUnread(ctx, res);
                        queue.clear();
                        return;
                    }
                    write(ctx, res, keepAlive);
                    if (keepAlive) {
                        next(ctx);
                    } else {
                        queue.clear();
                    }
                });
            });
        } catch (RejectedExecutionException e) {
            inFlight = false;
            queue.clear();
            write(ctx, Envelope.error(503, ApiException.CODE_UNAVAILABLE, "the edge is shutting down"), false);
        }
    }

    /**
     * The answer to a request refused before it was read whole: then only our side is shut while what the client
     * still sends is read and dropped (closing at once could make the kernel reset the answer away), for up to
     * {@link BoundedAggregator#LINGER_MS}.
     */
    private void answerUnread(ChannelHandlerContext ctx, ApiResponse r) {
        if (!ctx.channel().isActive()) {
            return;
        }
        reads.resumeAll();
        BoundedAggregator.answerThenShut(ctx, toHttp(r, false)).addListener(f -> {
            if (f.isSuccess()) {
                ctx.executor().schedule(() -> ctx.close(), BoundedAggregator.LINGER_MS,
                        java.util.concurrent.TimeUnit.MILLISECONDS);
            }
        });
    }

    private static void write(ChannelHandlerContext ctx, ApiResponse r, boolean keepAlive) {
        if (!ctx.channel().isActive()) {
            return;
        }
        FullHttpResponse res = toHttp(r, keepAlive);
        if (!keepAlive) {
            ctx.writeAndFlush(res).addListener(ChannelFutureListener.CLOSE);
        } else {
            ctx.writeAndFlush(res);
        }
    }

    /** The HTTP/1.1 form of r: JSON content type, its length, and "Connection: close" unless keepAlive. */
    static FullHttpResponse toHttp(ApiResponse r, boolean keepAlive) {
        FullHttpResponse res = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.valueOf(r.status()),
                Unpooled.wrappedBuffer(r.body()));
        res.headers().set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.APPLICATION_JSON);
        res.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, r.body().length);
        if (r.allow() != null) {
            res.headers().set(HttpHeaderNames.ALLOW, r.allow());
        }
        if (!keepAlive) {
            res.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        }
        return res;
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
        if (evt instanceof IdleStateEvent) {
            ctx.close();
            return;
        }
        super.userEventTriggered(ctx, evt);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        LOG.log(Level.FINE, "admin API connection error: " + cause);
        ctx.close();
    }
}
