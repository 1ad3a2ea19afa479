package dev.vpctunnel.connector.origin;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.CombinedChannelDuplexHandler;
import io.netty.handler.codec.DecoderResultProvider;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpRequestEncoder;
import io.netty.handler.codec.http.HttpResponseDecoder;
import io.netty.util.ReferenceCountUtil;

import java.util.List;
import java.util.function.BooleanSupplier;

/**
 * HTTP/1.1 to an origin, one request at a time (what Netty's HttpClientCodec does for us, plus what it hides): a
 * response to HEAD has no body whatever its headers say; bytes that arrive while the connection waits in the pool
 * close it (the origin talks out of turn: they would be read as the start of the next response); and
 * {@link #clean()} says whether anything beyond the last response is buffered (a HEAD, 204 or 304 answered with a
 * body, one byte more than Content-Length), in which case the connection must not be reused: the next request
 * would be answered with those bytes first. Response lines may end in a bare LF (RFC 9112 2.2 allows accepting it;
 * Go's client, and so cloudflared, does), unlike the requests the gateway accepts. A response with both
 * Transfer-Encoding: chunked and Content-Length is read by its chunks without the Content-Length, as Go's client
 * reads it (Netty 4.2 refuses it), and its connection is not reused (RFC 9112 6.3: it may be a response-splitting
 * attempt).
 */
final class OriginCodec extends CombinedChannelDuplexHandler<OriginCodec.Decoder, OriginCodec.Encoder> {
    OriginCodec(int maxInitialLine, int maxHeaderSize, int maxChunk, BooleanSupplier idle) {
        Decoder d = new Decoder(new HttpDecoderConfig().setMaxInitialLineLength(maxInitialLine)
                .setMaxHeaderSize(maxHeaderSize).setMaxChunkSize(maxChunk).setStrictLineParsing(false), idle);
        init(d, new Encoder(d));
    }

    /** Nothing is buffered beyond the last response. Call on the connection's loop. */
    boolean clean() {
        return inboundHandler().buffered() == 0 && !inboundHandler().broken;
    }

    static final class Decoder extends HttpResponseDecoder {
        private final BooleanSupplier idle;
        private boolean head;
        /** The decoder met bytes it could not read (from then on it drops all it gets), or framing not to trust. */
        private boolean broken;

        Decoder(HttpDecoderConfig config, BooleanSupplier idle) {
            super(config);
            this.idle = idle;
        }

        int buffered() {
            return actualReadableBytes();
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) throws Exception {
            if (msg instanceof ByteBuf b && b.isReadable() && idle.getAsBoolean()) {
                ReferenceCountUtil.release(msg);
                ctx.close(); // in the pool: never reused after this (the pool forgets it on close)
                return;
            }
            super.channelRead(ctx, msg);
        }

        @Override
        protected void decode(ChannelHandlerContext ctx, ByteBuf buffer, List<Object> out) throws Exception {
            int before = out.size();
            super.decode(ctx, buffer, out);
            for (int i = before; i < out.size(); i++) {
                if (out.get(i) instanceof DecoderResultProvider p && p.decoderResult().isFailure()) {
                    broken = true;
                }
            }
        }

        @Override
        protected void handleTransferEncodingChunkedWithContentLength(HttpMessage message) {
            message.headers().remove(HttpHeaderNames.CONTENT_LENGTH);
            clearContentLength();
            broken = true; // read this response, then close the connection
        }

        @Override
        protected boolean isContentAlwaysEmpty(HttpMessage msg) {
            return head || super.isContentAlwaysEmpty(msg);
        }
    }

    static final class Encoder extends HttpRequestEncoder {
        private final Decoder decoder;

        Encoder(Decoder decoder) {
            this.decoder = decoder;
        }

        @Override
        protected void encodeInitialLine(ByteBuf buf, HttpRequest request) throws Exception {
            decoder.head = HttpMethod.HEAD.equals(request.method()); // the response to come is this request's
            super.encodeInitialLine(buf, request);
        }
    }
}
