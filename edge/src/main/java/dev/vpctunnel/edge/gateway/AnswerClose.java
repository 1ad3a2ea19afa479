package dev.vpctunnel.edge.gateway;

import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.DuplexChannel;
import io.netty.handler.codec.http2.DefaultHttp2ResetFrame;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2Stream;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.util.ReferenceCountUtil;

import java.util.concurrent.TimeUnit;

/**
 * Ends a worker's connection (HTTP/1.1) or stream (h2c) after a complete answer, while the worker may still be sending
 * the request's body, without destroying that answer:
 * <ul>
 * <li>HTTP/1.1 (RFC 9112 9.6): closed in stages. A plain close with unread bytes makes the kernel answer with a TCP
 * reset, which discards whatever of the answer the worker had not read yet. So the write side is shut (FIN after the
 * answer), what the worker still sends is read and dropped, never decoded, and the connection closes when the worker
 * closes, once it has sent nothing for {@link #LINGER_MS} (a worker still uploading may still be reading the answer:
 * closing under it would make the kernel reset the connection), or after {@link #MAX_LINGER_MS} in all.</li>
 * <li>h2c (RFC 9113 8.1): RST_STREAM(NO_ERROR) asks the worker to stop sending, and a client must not discard the
 * complete response for it; closing the stream channel instead would send CANCEL, which clients take as a failed
 * fetch.</li>
 * </ul>
 * Call once the answer's last write succeeded (shutting the output earlier would drop the rest of it).
 */
final class AnswerClose {
    /** How long an HTTP/1.1 worker may go on sending after the answer before the connection is closed anyway. */
    static final long LINGER_MS = 2_000;
    /** The longest an HTTP/1.1 worker that keeps sending may keep its connection after the answer. */
    static final long MAX_LINGER_MS = 60_000;

    private AnswerClose() {
    }

    /** After the answer's last write: the gentle end if it went out, else a plain close (the connection is broken). */
    static void after(ChannelHandlerContext ctx, boolean answered) {
        if (answered) {
            close(ctx);
        } else {
            ctx.close();
        }
    }

    static void close(ChannelHandlerContext ctx) {
        Channel ch = ctx.channel();
        if (ch instanceof Http2StreamChannel s) {
            if (s.isActive() && s.stream().state() != Http2Stream.State.CLOSED) {
                reset(ctx, Http2Error.NO_ERROR);
            } else {
                ctx.close();
            }
            return;
        }
        if (!(ch instanceof DuplexChannel d) || !ch.isActive() || d.isInputShutdown() || d.isOutputShutdown()) {
            ctx.close();
            return;
        }
        // from here on nothing read is decoded: the drain sits in front of the HTTP codec
        Drain drain = new Drain();
        ch.pipeline().addFirst("drain", drain);
        d.shutdownOutput().addListener(f -> {
            if (!f.isSuccess()) {
                ch.close();
            }
        });
        drain.closeWhenQuiet(ch, System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(MAX_LINGER_MS));
    }

    /**
     * RST_STREAM with {@code error} on this h2c stream, then its channel closes (no second reset: the stream is closed).
     * A plain close sends none once the stream's end was written, even while flow control still holds it.
     */
    static void reset(ChannelHandlerContext ctx, Http2Error error) {
        ctx.writeAndFlush(new DefaultHttp2ResetFrame(error)).addListener(ChannelFutureListener.CLOSE);
    }

    /** Reads and drops everything until the worker closes (the channel then closes itself) or goes quiet. */
    private static final class Drain extends ChannelInboundHandlerAdapter {
        private boolean readSinceCheck;

        /** Closes the channel once a LINGER_MS period passes with nothing read, or at the deadline. */
        void closeWhenQuiet(Channel ch, long deadline) {
            ch.eventLoop().schedule(() -> {
                if (!ch.isOpen()) {
                    return;
                }
                if (readSinceCheck && System.nanoTime() < deadline) {
                    readSinceCheck = false;
                    closeWhenQuiet(ch, deadline);
                } else {
                    ch.close();
                }
            }, LINGER_MS, TimeUnit.MILLISECONDS);
        }

        @Override
        public void handlerAdded(ChannelHandlerContext ctx) {
            ctx.channel().config().setAutoRead(true);
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            readSinceCheck = true;
            ReferenceCountUtil.release(msg);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }
}
