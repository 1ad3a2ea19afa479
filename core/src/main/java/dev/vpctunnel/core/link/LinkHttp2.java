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
     * Optional consolidation of the flushes of many streams into fewer TLS records and write syscalls. {@code
     * -Dvpctunnel.flushConsolidation=}: {@code off} (default), {@code read} batches the flushes made while the link
     * is reading until the read ends, {@code all} also batches flushes made outside a read into one task on the
     * loop. Measured side by side (scripts/BENCH.md): {@code all} halves the CPU per 1 KiB request but doubles to
     * triples it per 1 MiB response; {@code read} is no better than off. Hence off by default.
     */
    public static ChannelHandler flushConsolidation() {
        String mode = System.getProperty("vpctunnel.flushConsolidation", "off");
        return switch (mode) {
            case "false", "off" -> new io.netty.channel.ChannelDuplexHandler();
            case "all", "true" -> new FlushConsolidationHandler(FlushConsolidationHandler.DEFAULT_EXPLICIT_FLUSH_AFTER_FLUSHES, true);
            default -> new FlushConsolidationHandler(FlushConsolidationHandler.DEFAULT_EXPLICIT_FLUSH_AFTER_FLUSHES, false);
        };
    }

    /** Raises the connection-level receive window from the 64 KiB default; call once the link is active. */
    public static void growConnectionWindow(ChannelHandlerContext ctx) {
        ctx.writeAndFlush(new DefaultHttp2WindowUpdateFrame(LinkHeaders.CONNECTION_WINDOW - 65_535));
    }
}
