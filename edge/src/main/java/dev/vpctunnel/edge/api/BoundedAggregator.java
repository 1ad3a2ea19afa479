package dev.vpctunnel.edge.api;

import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.socket.DuplexChannel;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpObjectAggregator;

import java.util.concurrent.TimeUnit;

/** HttpObjectAggregator whose refusal of a body over the limit is a 413 in the API's envelope, then a gentle close. */
final class BoundedAggregator extends HttpObjectAggregator {
    static final long LINGER_MS = 5_000;
    /** After the 413 (Connection: close) nothing more is acted on (RFC 9112 9.6): what is read is only dropped. */
    private boolean closing;

    BoundedAggregator(int maxBody) {
        super(maxBody, true);
    }

    /**
     * Answers 413, then closes gently: only our sending side is shut at once, while the rest of the client's body is
     * still read (and dropped by the aggregator) for up to {@link #LINGER_MS}. Closing outright while the client is
     * still sending makes the kernel answer with a reset that can destroy the 413 before the client reads it.
     */
    @Override
    protected void handleOversizedMessage(ChannelHandlerContext ctx, HttpMessage oversized) {
        closing = true;
        answerThenShut(ctx, tooLarge()).addListener(f -> {
            if (f.isSuccess()) {
                ctx.executor().schedule(() -> ctx.close(), LINGER_MS, TimeUnit.MILLISECONDS);
            }
        });
    }

    /**
     * Writes a final answer (Connection: close), then shuts only the sending side, so that what the client still sends
     * is read (and dropped) instead of making the kernel reset the connection under the answer; closes at once if the
     * write failed. The caller bounds how long the connection may then stay.
     */
    static ChannelFuture answerThenShut(ChannelHandlerContext ctx, FullHttpResponse answer) {
        return ctx.writeAndFlush(answer).addListener((ChannelFutureListener) f -> {
            if (f.isSuccess() && ctx.channel() instanceof DuplexChannel duplex) {
                duplex.shutdownOutput();
            } else {
                ctx.close();
            }
        });
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) throws Exception {
        if (closing) {
            io.netty.util.ReferenceCountUtil.release(msg); // a request pipelined after the 413 would still change the store
            return;
        }
        super.channelRead(ctx, msg);
    }

    /** "Expect: 100-continue" with a Content-Length over the limit: the same 413 envelope instead of an empty one. */
    @Override
    protected Object newContinueResponse(HttpMessage start, int maxContentLength, ChannelPipeline pipeline) {
        Object r = super.newContinueResponse(start, maxContentLength, pipeline);
        if (r instanceof FullHttpResponse res && res.status().code() == 413) {
            res.release();
            return tooLarge();
        }
        return r;
    }

    private static FullHttpResponse tooLarge() {
        ApiResponse r = Envelope.error(413, ApiException.CODE_TOO_LARGE,
                "body: larger than the limit of " + ApiInitializer.MAX_BODY + " bytes (1 MiB)");
        return ApiHttpHandler.toHttp(r, false);
    }
}
