package dev.vpctunnel.core.link;

import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.flush.FlushConsolidationHandler;
import io.netty.handler.codec.http2.DefaultHttp2WindowUpdateFrame;
import io.netty.handler.codec.http2.Http2FrameCodec;
import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import io.netty.handler.codec.http2.Http2Settings;

/** The HTTP/2 settings both ends of a link use: big windows, bounded headers and streams. */
public final class LinkHttp2 {
    private LinkHttp2() {
    }

    /** The connector's side: the HTTP/2 server, accepting up to {@code maxStreams} concurrent streams. */
    public static Http2FrameCodec connectorCodec(int maxStreams) {
        return Http2FrameCodecBuilder.forServer()
                .initialSettings(settings().maxConcurrentStreams(maxStreams))
                .validateHeaders(true)
                .build();
    }

    /** The edge's side: the HTTP/2 client, opening streams; the connector may open none. */
    public static Http2FrameCodec edgeCodec() {
        return Http2FrameCodecBuilder.forClient()
                .initialSettings(settings().maxConcurrentStreams(0).pushEnabled(false))
                .validateHeaders(true)
                .build();
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

    /** Raises the connection-level receive window from the 64 KiB default; call once the link is active. */
    public static void growConnectionWindow(ChannelHandlerContext ctx) {
        ctx.writeAndFlush(new DefaultHttp2WindowUpdateFrame(LinkHeaders.CONNECTION_WINDOW - 65_535));
    }
}
