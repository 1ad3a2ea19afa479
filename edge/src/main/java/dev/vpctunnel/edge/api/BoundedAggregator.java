package dev.vpctunnel.edge.api;

import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.socket.DuplexChannel;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpObjectAggregator;

/**
 * HttpObjectAggregator whose refusal of a body over the limit is a 413 in the API's envelope, answered in request order
 * by {@link ApiHttpHandler} (a {@link Refused} message), then a gentle close.
 */
final class BoundedAggregator extends HttpObjectAggregator {
    static final long LINGER_MS = 5_000;
    private final ReadPause reads;
    /**
     * After the 413 (Connection: close) nothing more is acted on (RFC 9112 9.6): what is read is only dropped. Its own
     * flag, not {@link ReadPause#finalAnswerGiven}: a refusal of the gate's, upstream, must still pass through here.
     */
    private boolean closing;

    BoundedAggregator(int maxBody, ReadPause reads) {
        super(maxBody, true);
        this.reads = reads;
    }

    /**
     * Refuses with 413 after the answers to the requests pipelined before it (written straight away, it overtook them
     * and its shut output lost them), then the connection closes gently: only our sending side is shut at once, while
     * the rest of the client's body is still read (and dropped) for up to {@link #LINGER_MS}. Closing outright while
     * the client is still sending makes the kernel answer with a reset that can destroy the 413 before the client
     * reads it.
     */
    @Override
    protected void handleOversizedMessage(ChannelHandlerContext ctx, HttpMessage oversized) {
        closing = true;
        reads.finalAnswer();
        ctx.fireChannelRead(new Refused(Envelope.error(413, ApiException.CODE_TOO_LARGE,
                "body: larger than the limit of " + ApiInitializer.MAX_BODY + " bytes (1 MiB)")));
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

    /**
     * "Expect: 100-continue" with a Content-Length over the limit: no 100, and instead of the aggregator's own 413
     * (written at once, ahead of answers still due) the in-order one above, which the aggregator's check of the
     * Content-Length then asks for.
     */
    @Override
    protected Object newContinueResponse(HttpMessage start, int maxContentLength, ChannelPipeline pipeline) {
        Object r = super.newContinueResponse(start, maxContentLength, pipeline);
        if (r instanceof FullHttpResponse res && res.status().code() == 413) {
            res.release();
            return null;
        }
        return r;
    }
}
