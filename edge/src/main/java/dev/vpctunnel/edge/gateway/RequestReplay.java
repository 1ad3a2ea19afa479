package dev.vpctunnel.edge.gateway;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.codec.http2.DefaultHttp2DataFrame;
import io.netty.handler.codec.http2.DefaultHttp2HeadersFrame;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.handler.codec.http2.Http2StreamChannel;

/**
 * The request body sent so far on a stream the connector may still refuse (it drains), and its end when it went out
 * (an empty DATA that ends the stream, or trailers): kept, up to {@link #LIMIT} bytes, so that a refused fetch goes
 * out again whole on another link. A larger body is not kept, and its fetch is not
 * retried. Kept until the response begins or the exchange ends; on the exchange's loop only.
 * The pieces are copied into one buffer: a reference to each would pin the whole read buffer it came in, for a body
 * trickled in small pieces many times its size.
 */
final class RequestReplay {
    static final int LIMIT = 64 * 1024;
    private ByteBuf kept;
    private boolean dropped;
    private boolean ended;
    private Http2Headers trailers;

    /** Copies a piece about to go out, unless the body outgrew the limit (no retry then). */
    void keep(ByteBuf piece, ByteBufAllocator alloc) {
        int n = piece.readableBytes();
        if (dropped || n == 0) {
            return;
        }
        int sofar = kept == null ? 0 : kept.readableBytes();
        if (sofar + n > LIMIT) {
            release();
            return;
        }
        if (kept == null) {
            kept = alloc.buffer(n, LIMIT);
        }
        kept.writeBytes(piece, piece.readerIndex(), n);
    }

    /** The end went out, with these trailers (or none). */
    void end(Http2Headers endTrailers) {
        ended = true;
        trailers = endTrailers;
    }

    /** Whether everything sent so far is kept. */
    boolean whole() {
        return !dropped;
    }

    /** Writes what was kept to {@code stream}: the body as DATA, then its end if it went out; nothing is kept then. */
    void writeTo(Http2StreamChannel stream) {
        if (kept != null) {
            stream.write(new DefaultHttp2DataFrame(kept, false));
            kept = null;
        }
        if (ended) {
            stream.write(trailers != null ? new DefaultHttp2HeadersFrame(trailers, true) : new DefaultHttp2DataFrame(true));
        }
        dropped = true;
    }

    /** Why a refused fetch whose body went beyond {@link #LIMIT} fails: the origin never saw it, but it is not whole. */
    static FetchError notSentAgain(String why) {
        return FetchError.of(FetchError.Code.STREAM_RESET, why + "; not sent again: more than " + LIMIT / 1024
                + " KiB of its body had gone out");
    }

    void release() {
        if (kept != null) {
            kept.release();
            kept = null;
        }
        dropped = true;
    }
}
