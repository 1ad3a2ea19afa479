package dev.vpctunnel.core.link;

import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.flush.FlushConsolidationHandler;
import io.netty.handler.codec.http2.DefaultHttp2WindowUpdateFrame;
import io.netty.handler.codec.http2.Http2FrameCodec;
import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import io.netty.handler.codec.http2.Http2Settings;
import io.netty.handler.codec.http2.DefaultHttp2Connection;
import io.netty.handler.codec.http2.DefaultHttp2RemoteFlowController;
import io.netty.handler.codec.http2.UniformStreamByteDistributor;
import io.netty.channel.Channel;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.http2.Http2MultiplexHandler;
import io.netty.channel.WriteBufferWaterMark;

/** The HTTP/2 settings both ends of a link use: big windows, bounded headers and streams. */
public final class LinkHttp2 {
    private LinkHttp2() {
    }

    /** The connector's side: the HTTP/2 server, accepting up to {@code maxStreams} concurrent streams. */
    public static Http2FrameCodec connectorCodec(int maxStreams) {
        return new Builder(true)
                .initialSettings(settings().maxConcurrentStreams(maxStreams))
                .validateHeaders(true)
                .build();
    }

    /** The edge's side: the HTTP/2 client, opening streams; the connector may open none. */
    public static Http2FrameCodec edgeCodec() {
        return new Builder(false)
                .headerSensitivityDetector((name, value) -> LinkHeaders.REQUEST_ID.contentEqualsIgnoreCase(name))
                .initialSettings(settings().maxConcurrentStreams(0).pushEnabled(false))
                .validateHeaders(true)
                .build();
    }

    /** Bytes a stream gets in one round of the link's write scheduler (Netty's default is 1 KiB). */
    static final int WRITE_CHUNK = 16 * 1024;
    /** The link's write buffer: how much one round of HTTP/2's flow controller may hand to TLS (default 64 KiB). */
    static final WriteBufferWaterMark WATER_MARK = new WriteBufferWaterMark(512 * 1024, 1024 * 1024);

    /**
     * Settings of the link's socket: a write buffer far above Netty's 64 KiB, because HTTP/2's flow controller writes
     * no more than the buffer takes per round and splits that between the active streams: with 64 KiB and 500
     * streams each got 1 KiB DATA frames.
     */
    static void configureLink(Channel link) {
        link.config().setWriteBufferWaterMark(WATER_MARK);
    }

    /**
     * The codec with a uniform, priority-blind write scheduler that gives each stream {@link #WRITE_CHUNK} at a time:
     * links carry no priorities, and frames of a few KiB cost far less per byte than Netty's 1 KiB quantum.
     */
    private static final class Builder extends Http2FrameCodecBuilder {
        Builder(boolean server) {
            DefaultHttp2Connection connection = new DefaultHttp2Connection(server, 100);
            UniformStreamByteDistributor distributor = new UniformStreamByteDistributor(connection);
            distributor.minAllocationChunk(WRITE_CHUNK);
            connection.remote().flowController(new DefaultHttp2RemoteFlowController(connection, distributor));
            connection(connection);
            // no graceful-close timeout at this layer: the link's own drain decides when to close
            gracefulShutdownTimeoutMillis(0);
            // Netty's limits against abusive public clients, off on both ends of a link: its peer is authenticated
            // (the edge's certificate, the tunnel secret) and one link carries the fetches of many workers.
            // - RST_STREAM frames per window: with connection() the builder treats both ends as a server and allows
            //   200 received and 200 sent per 30 s, then GOAWAYs the link and fails all its streams. Every cancelled
            //   fetch is one RST_STREAM from the edge; every response cut off, every stream refused while draining,
            //   one from the connector: a burst of ordinary cancels (700 in a few seconds) took every link down.
            decoderEnforceMaxRstFramesPerWindow(0, 0);
            encoderEnforceMaxRstFramesPerWindow(0, 0);
            // Kept, as legitimate use cannot trip them:
            // - consecutive empty DATA frames without END_STREAM (2): Netty's encoder never sends one (it completes
            //   the write without a frame), so an empty piece of a worker's h2c body does not reach the link as one;
            // - queued control frames (10,000 RST/PING-ack/SETTINGS-ack written but not yet taken by the socket):
            //   Netty flushes before it gives up, so only a peer that stops reading trips it, and the bound keeps
            //   memory flat while the heartbeat notices that dead link;
            // - small CONTINUATION frames: the encoder splits a header block only at the peer's max frame size.
        }
    }

    private static Http2Settings settings() {
        return new Http2Settings()
                .initialWindowSize(LinkHeaders.STREAM_WINDOW)
                .maxHeaderListSize(LinkHeaders.MAX_HEADER_LIST)
                .maxFrameSize(64 * 1024);
    }

    /**
     * Consolidation of the flushes of many streams into fewer TLS records and write syscalls. {@code
     * -Dvpctunnel.flushConsolidation=}: {@code loop} (default) flushes once at the end of the loop's turn, or at once
     * when the link is unwritable ({@link LoopEndFlush}); {@code off} flushes every time; {@code read} and {@code all}
     * are Netty's FlushConsolidationHandler. Measured side by side (scripts/BENCH.md): {@code loop} vs off = 1.08-1.13x
     * req/s and 0.86-0.88x CPU at 1 KiB x 50, the same at 1 MiB x 50; {@code all} (and {@code loop} before it flushed
     * at once when unwritable) halved 1 MiB throughput: HTTP/2's flow controller stops writing while the link is
     * unwritable, so every turn moved only one write buffer's worth.
     */
    public static ChannelHandler flushConsolidation() {
        String mode = System.getProperty("vpctunnel.flushConsolidation", "loop");
        return switch (mode) {
            case "false", "off" -> new io.netty.channel.ChannelDuplexHandler();
            case "loop" -> new LoopEndFlush();
            case "all", "true" -> new FlushConsolidationHandler(FlushConsolidationHandler.DEFAULT_EXPLICIT_FLUSH_AFTER_FLUSHES, true);
            default -> new FlushConsolidationHandler(FlushConsolidationHandler.DEFAULT_EXPLICIT_FLUSH_AFTER_FLUSHES, false);
        };
    }

    /**
     * The link's pipeline after TLS negotiated h2, the same on both ends and in this order: the socket's write buffer
     * ({@link #configureLink}), one flush per loop turn right after TLS, the heartbeat, the HTTP/2 codec, one child
     * channel per stream ({@code streams} is their handler), the PING sink, then {@code session} at the end. The
     * GOAWAYs the codec sends and receives are kept for {@link LinkCloseReason}.
     */
    public static void install(ChannelPipeline p, LinkHeartbeat heartbeat, Http2FrameCodec codec, ChannelHandler streams,
                               ChannelHandler session) {
        configureLink(p.channel());
        p.addAfter("tls", "flush", flushConsolidation());
        p.addLast("heartbeat", heartbeat);
        p.addLast("h2", codec);
        LinkCloseReason.watch(p.channel(), codec.connection());
        p.addLast("mux", new Http2MultiplexHandler(streams));
        p.addLast("pings", new LinkHeartbeat.PingSink());
        p.addLast("session", session);
    }

    /** Raises the connection-level receive window from the 64 KiB default; call once the link is active. */
    public static void growConnectionWindow(ChannelHandlerContext ctx) {
        ctx.writeAndFlush(new DefaultHttp2WindowUpdateFrame(LinkHeaders.CONNECTION_WINDOW - 65_535));
    }
}
