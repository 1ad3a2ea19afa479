package dev.vpctunnel.edge.gateway;

import io.netty.buffer.ByteBuf;
import io.netty.handler.codec.http2.DefaultHttp2DataFrame;
import io.netty.handler.codec.http2.DefaultHttp2HeadersFrame;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.handler.codec.http2.Http2StreamChannel;

import java.util.ArrayDeque;

/**
 * The request body sent so far on a stream the connector may still refuse (it drains), and its end when it went out
 * (an empty DATA that ends the stream, or trailers): kept, up to {@link #LIMIT} bytes, so that a refused fetch goes
 * out again whole on another link. A larger body is not kept, and its fetch is not
 * retried. Kept until the response begins or the exchange ends; on the exchange's loop only.
 */
final class RequestReplay {
    static final int LIMIT = 64 * 1024;
    /** Each piece pins the read buffer it came in: a body trickled in tiny chunks is not kept past this many. */
    static final int MAX_PIECES = 64;
    private final ArrayDeque<ByteBuf> kept = new ArrayDeque<>();
    private int bytes;
    private boolean dropped;
    private boolean ended;
    private Http2Headers trailers;

    /** Keeps a reference to a piece about to go out, unless the body outgrew the limit (no retry then). */
    void keep(ByteBuf piece) {
        if (dropped) {
            return;
        }
        if (bytes + piece.readableBytes() > LIMIT || kept.size() == MAX_PIECES) {
            release();
            return;
        }
        kept.add(piece.retainedDuplicate());
        bytes += piece.readableBytes();
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
        ByteBuf b;
        while ((b = kept.poll()) != null) {
            stream.write(new DefaultHttp2DataFrame(b, false));
        }
        if (ended) {
            stream.write(trailers != null ? new DefaultHttp2HeadersFrame(trailers, true) : new DefaultHttp2DataFrame(true));
        }
        dropped = true;
        bytes = 0;
    }

    void release() {
        ByteBuf b;
        while ((b = kept.poll()) != null) {
            b.release();
        }
        dropped = true;
        bytes = 0;
    }
}
