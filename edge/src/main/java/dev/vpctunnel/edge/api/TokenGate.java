package dev.vpctunnel.edge.api;

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
 * Checks the token (and the path) of a request that has a body before the body is read: a client without a valid
 * token gets its 401 (a path the API does not serve its 404) at once and nothing more of its connection is acted on,
 * instead of the API holding up to 1 MiB of its body first (on each of its 128 connections). Sits between the codec
 * and the aggregator; the check runs on the blocking executor (it may ask the store, {@link
 * ApiRouter#refusalBeforeBody}) with reading paused ({@link ReadPause}), and what had been read already waits here. A
 * refusal goes on as a {@link Refused} message, which the API handler answers in request order; so does the answer to
 * a head refused outright ({@link HeadProblem}), with or without a body. Event loop only.
 */
final class TokenGate extends ChannelInboundHandlerAdapter {
    private final ApiRouter router;
    private final ExecutorService executor;
    private final ReadPause reads;
    private final ArrayDeque<Object> held = new ArrayDeque<>();
    /** A head's token is being checked: what arrives meanwhile waits in {@link #held}. */
    private boolean checking;
    private boolean removed;

    TokenGate(ApiRouter router, ExecutorService executor, ReadPause reads) {
        this.router = router;
        this.executor = executor;
        this.reads = reads;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (reads.finalAnswerGiven()) { // after a final answer (here or the aggregator's 413) nothing counts
            ReferenceCountUtil.release(msg);
        } else if (checking) {
            held.add(msg);
        } else if (msg instanceof HttpRequest head && HeadProblem.of(head) != null) {
            held.add(msg);
            decided(ctx, HeadProblem.of(head)); // its body (if any) is not read, nor anything pipelined after it
        } else if (msg instanceof HttpRequest head && hasBody(head)) {
            checking = true;
            held.add(msg);
            reads.pause(ReadPause.GATE);
            check(ctx, head);
        } else {
            ctx.fireChannelRead(msg);
        }
    }

    private static boolean hasBody(HttpRequest head) {
        return HttpUtil.isTransferEncodingChunked(head) || HttpUtil.getContentLength(head, 0L) > 0;
    }

    private void check(ChannelHandlerContext ctx, HttpRequest head) {
        String path;
        try {
            path = new QueryStringDecoder(head.uri()).path();
        } catch (IllegalArgumentException e) {
            decided(ctx, Envelope.error(400, ApiException.CODE_INVALID,
                    "malformed %-escape in the request path or query: " + e.getMessage()));
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
        if (refusal == null && HttpUtil.is100ContinueExpected((HttpRequest) held.peek()) && reads.handlerBusy()) {
            // the aggregator answers it with 100 Continue at once: after the answers still due to the requests
            // pipelined before it, or the client would read the 100 as an answer to one of those
            reads.whenHandlerIdle(() -> decided(ctx, null));
            return;
        }
        checking = false;
        reads.resume(ReadPause.GATE);
        List<Object> pending = new ArrayList<>(held);
        held.clear();
        if (refusal != null) {
            reads.finalAnswer();
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
