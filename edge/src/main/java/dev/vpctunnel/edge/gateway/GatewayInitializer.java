package dev.vpctunnel.edge.gateway;

import dev.vpctunnel.core.link.LinkHeaders;
import dev.vpctunnel.core.net.IdleWatch;
import dev.vpctunnel.core.net.StreamChannels;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http2.Http2CodecUtil;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2Exception;
import io.netty.handler.codec.http2.Http2FrameStreamException;
import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import io.netty.handler.codec.http2.Http2MultiplexHandler;
import io.netty.handler.codec.http2.Http2Settings;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.handler.codec.http2.Http2StreamFrameToHttpObjectCodec;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.channel.ChannelDuplexHandler;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.logging.Logger;

/** Looks at the first bytes: the HTTP/2 preface means h2c with prior knowledge, anything else HTTP/1.1. */
final class GatewayInitializer extends ChannelInitializer<SocketChannel> {
    private static final Logger LOG = Logger.getLogger(GatewayInitializer.class.getName());
    /** A request line: the method and the version besides a URL of up to {@link LinkHeaders#MAX_URL}. */
    private static final int MAX_REQUEST_LINE = LinkHeaders.MAX_URL + 1024;
    /**
     * Requests the HTTP codec may have decoded ahead of their answers. The gateway reads on only when it can take the
     * next request, and a read is at most 64 KiB: a pipelining worker can get one read's worth of requests (at least
     * 16 bytes each) ahead, which Netty's default of 128 would refuse by failing the connection.
     */
    private static final int MAX_PIPELINED = 64 * 1024 / 16;
    /**
     * How long an HTTP/1.1 request head may take to arrive: the first from the connection's accept, later ones from
     * their first byte; also how long a new connection may stay silent. A property for tests only.
     */
    private static final String HEAD_TIMEOUT_MS = "vpctunnel.gateway.headTimeoutMs";
    /** How long a worker connection may be idle; a property for tests only. */
    private static final String IDLE_MS = "vpctunnel.gateway.idleMs";
    private final GatewayContext gateway;

    GatewayInitializer(GatewayContext gateway) {
        this.gateway = gateway;
    }

    @Override
    protected void initChannel(SocketChannel ch) {
        long accepted = System.nanoTime();
        ConnectionLimit.Slot slot = gateway.connections().admit(ch);
        if (slot == null) {
            ch.close(); // at the limit with no idle connection to make room: said in a warning
            return;
        }
        ch.pipeline().addLast("idle", new IdleClose());
        ch.pipeline().addLast("sniff", new Sniffer(accepted, Duration.ofMillis(Long.getLong(HEAD_TIMEOUT_MS, 30_000)), slot));
        ch.read();
    }

    /**
     * Until the first bytes say which protocol it is. Its clock starts at accept, as nginx's client_header_timeout and
     * the admin API's: a connection that never sends a byte was held for the 300 s idle time, and a few hundred of
     * them used up the edge's file descriptors (API, metrics and link reconnects with them). Such a connection is
     * closed after the head timeout without an answer (it asked nothing); an HTTP/1.1 connection's first head is
     * timed from accept too ({@link HeadDeadline}), an h2c one is watched by its idle clock once the preface is in.
     */
    private final class Sniffer extends ByteToMessageDecoder {
        private final long accepted;
        private final Duration headTimeout;
        private final ConnectionLimit.Slot slot;
        private ScheduledFuture<?> silent;

        Sniffer(long accepted, Duration headTimeout, ConnectionLimit.Slot slot) {
            this.accepted = accepted;
            this.headTimeout = headTimeout;
            this.slot = slot;
        }

        @Override
        public void handlerAdded(ChannelHandlerContext ctx) {
            long left = accepted + headTimeout.toNanos() - System.nanoTime();
            silent = ctx.executor().schedule(() -> {
                LOG.fine(() -> "worker connection " + ctx.channel().remoteAddress() + " sent no request within "
                        + headTimeout.toMillis() + " ms of accept: closed");
                ctx.close();
            }, Math.max(0, left), TimeUnit.NANOSECONDS);
        }

        @Override
        protected void handlerRemoved0(ChannelHandlerContext ctx) {
            if (silent != null) { // a protocol was chosen, or the connection closed
                silent.cancel(false);
            }
        }

        @Override
        protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
            ByteBuf preface = Http2CodecUtil.connectionPrefaceBuf();
            int n = Math.min(in.readableBytes(), preface.readableBytes());
            boolean prefix = ByteBufUtil.equals(in, in.readerIndex(), preface, 0, n);
            preface.release();
            if (prefix && n < 24) {
                ctx.read(); // could still be the preface: wait for more
                return;
            }
            ChannelPipeline p = ctx.pipeline();
            if (prefix) {
                // a worker gone away cancels its fetches at once; with no stream open the connection is idle (to make room)
                StreamChannels streams = new StreamChannels(slot::busy, slot::idle);
                p.addAfter(ctx.name(), "h2", Http2FrameCodecBuilder.forServer()
                        .initialSettings(new Http2Settings().maxConcurrentStreams(10_000).maxHeaderListSize(LinkHeaders.MAX_HEADER_LIST)
                                .initialWindowSize(1024 * 1024))
                        .validateHeaders(true).build());
                p.addAfter("h2", "mux", new Http2MultiplexHandler(new ChannelInitializer<Http2StreamChannel>() {
                    @Override
                    protected void initChannel(Http2StreamChannel s) {
                        s.config().setAutoRead(false);
                        streams.add(s);
                        s.pipeline().addLast(new IdleClose(), new H2cRequestCheck(), new Http2StreamFrameToHttpObjectCodec(true),
                                new FetchHandler(gateway));
                    }
                }));
                p.addAfter("mux", "streams", streams);
                p.addAfter("streams", "h2-read", new AlwaysRead());
                gateway.h2cConnections().add(ctx.channel()); // leaves the group when it closes
            } else {
                HeadDeadline deadline = new HeadDeadline(headTimeout, accepted, slot);
                p.addAfter(ctx.name(), "head-bytes", deadline.bytes());
                p.addAfter("head-bytes", "http", new HttpServerCodec(new HttpDecoderConfig().setMaxInitialLineLength(MAX_REQUEST_LINE)
                        .setMaxHeaderSize(LinkHeaders.MAX_HEAD).setMaxChunkSize(64 * 1024), MAX_PIPELINED));
                p.addAfter("http", "heads", deadline.heads());
                p.addAfter("heads", "fetch", new FetchHandler(gateway));
            }
            p.remove(this);
        }
    }

    /**
     * On an h2c connection the connection itself keeps reading (frames for many streams share it); each stream's
     * backpressure is its own flow-control window, returned only as the stream's handler reads. Last in the
     * connection's pipeline, it also ends what the HTTP/2 codec passes on after answering it itself (junk after the
     * preface, a frame on a stream that does not exist: GOAWAY already sent): the connection closes, and since any
     * unauthenticated peer can cause it, it is logged at FINE, not as Netty's WARN per connection.
     */
    private static final class AlwaysRead extends ChannelDuplexHandler {
        @Override
        public void handlerAdded(ChannelHandlerContext ctx) {
            ctx.channel().config().setAutoRead(true);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            if (cause instanceof Http2FrameStreamException || cause instanceof Http2Exception.StreamException) {
                // one stream's error (a frame for a stream the codec just reset as malformed): that stream is reset
                // already, the connection and the other fetches on it go on (RFC 9113 5.4.2)
                LOG.fine(() -> "h2c stream error on " + ctx.channel().remoteAddress() + ": " + cause);
                return;
            }
            LOG.fine(() -> "h2c connection " + ctx.channel().remoteAddress() + " failed: " + cause);
            // after the codec's GOAWAY, which says why (PROTOCOL_ERROR and Netty's message, INTERNAL_ERROR for any other
            // failure it passes on)
            dev.vpctunnel.core.link.LinkCloseReason.closeAfterThisTurn(ctx);
        }
    }

    /**
     * A worker connection with nothing read or written for 300 s is closed, unless (HTTP/1.1) its fetch has sent the
     * whole request and waits for the origin's answer (a long poll): that is not the worker's idleness, and closing
     * would cut the fetch off without an answer. The worker ends such a fetch by going away. An h2c connection closes
     * after 300 s of silence either way (its streams cannot be told apart from one whose worker stopped reading), and
     * each of its streams is watched on its own the same way: a stream whose answer cannot go out (the worker gave it
     * no flow-control window), whose request body stopped coming or whose answer, once begun, pauses for 300 s (as an
     * HTTP/1.1 connection then closes) is reset, even while the worker keeps the connection busy with PINGs or other
     * streams.
     */
    private static final class IdleClose extends IdleWatch {
        IdleClose() {
            super(Duration.ZERO, Duration.ZERO, Duration.ofMillis(Long.getLong(IDLE_MS, 300_000)));
        }

        @Override
        protected void idle(ChannelHandlerContext ctx, IdleStateEvent evt) {
            FetchHandler h1 = ctx.pipeline().get(FetchHandler.class);
            if (h1 != null && h1.awaitingOrigin()) {
                restart();
                return;
            }
            if (ctx.channel() instanceof Http2StreamChannel) {
                AnswerClose.reset(ctx, Http2Error.CANCEL); // not a plain close: its answer may be held by flow control
                return;
            }
            ctx.close();
        }
    }
}
