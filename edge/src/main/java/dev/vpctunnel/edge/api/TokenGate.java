package dev.vpctunnel.edge.api;

import io.netty.buffer.ByteBufHolder;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.util.ReferenceCountUtil;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;

/**
 * Checks the token of a request that has a body before the body is read: a client without a valid token gets its 401
 * at once and nothing more of its connection is read, instead of the API holding up to 1 MiB of its body first (on
 * each of its 128 connections). Sits between the codec and the aggregator; the check runs on the blocking executor
 * (it may ask the store, {@link ApiRouter#refusalBeforeBody}) while what arrives meanwhile waits here, at most about
 * one body's limit (beyond it the request would get its 413 anyway, so the excess is dropped). A refusal goes on as a
 * {@link Refused} message, which the API handler answers in request order. Event loop only.
 */
final class TokenGate extends ChannelInboundHandlerAdapter {
    /** The answer to a request refused here; what it carried was not read. */
    record Refused(ApiResponse answer) {
    }

    private final ApiRouter router;
    private final ExecutorService executor;
    private final ArrayDeque<Object> held = new ArrayDeque<>();
    private long heldBytes;
    /** A head's token is being checked: what arrives meanwhile waits in {@link #held}. */
    private boolean checking;
    /** Refused: everything after is dropped (the answer closes the connection). */
    private boolean refused;
    private boolean removed;

    TokenGate(ApiRouter router, ExecutorService executor) {
        this.router = router;
        this.executor = executor;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (refused) {
            ReferenceCountUtil.release(msg);
        } else if (checking) {
            hold(msg);
        } else if (msg instanceof HttpRequest head && head.decoderResult().isSuccess() && hasBody(head)) {
            checking = true;
            hold(msg);
            check(ctx, head);
        } else {
            ctx.fireChannelRead(msg);
        }
    }

    private static boolean hasBody(HttpRequest head) {
        return HttpUtil.isTransferEncodingChunked(head) || HttpUtil.getContentLength(head, 0L) > 0;
    }

    private void hold(Object msg) {
        int n = msg instanceof ByteBufHolder b ? b.content().readableBytes() : 0;
        if (n > 0 && heldBytes > ApiInitializer.MAX_BODY) {
            // over the limit already: the aggregator answers 413 to what is held, so the rest is not needed
            ReferenceCountUtil.release(msg);
            return;
        }
        heldBytes += n;
        held.add(msg);
    }

    private void check(ChannelHandlerContext ctx, HttpRequest head) {
        String path;
        try {
            path = new QueryStringDecoder(head.uri()).path();
        } catch (IllegalArgumentException e) {
            decided(ctx, null); // a malformed escape: the API handler answers it with its 400
            return;
        }
        ApiRequest req = new ApiRequest(head.method().name(), path, Map.of(),
                head.headers().get(HttpHeaderNames.AUTHORIZATION), new byte[0]);
        try {
            executor.execute(() -> {
                ApiResponse refusal = router.refusalBeforeBody(req);
                ctx.executor().execute(() -> decided(ctx, refusal));
            });
        } catch (RejectedExecutionException e) {
            decided(ctx, null); // shutting down: the API handler answers 503
        }
    }

    private void decided(ChannelHandlerContext ctx, ApiResponse refusal) {
        if (removed) {
            return;
        }
        checking = false;
        heldBytes = 0;
        List<Object> pending = new ArrayList<>(held);
        held.clear();
        if (refusal != null) {
            refused = true;
            pending.forEach(ReferenceCountUtil::release);
            ctx.fireChannelRead(new Refused(refusal));
            return;
        }
        ctx.fireChannelRead(pending.get(0)); // the head just checked
        for (Object m : pending.subList(1, pending.size())) {
            channelRead(ctx, m); // a pipelined head with a body among them is checked in its turn
        }
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        removed = true;
        held.forEach(ReferenceCountUtil::release);
        held.clear();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        handlerRemoved(ctx);
        ctx.fireChannelInactive();
    }
}
