package dev.vpctunnel.core.link;

import io.netty.channel.ChannelHandlerContext;
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

    /** Raises the connection-level receive window from the 64 KiB default; call once the link is active. */
    public static void growConnectionWindow(ChannelHandlerContext ctx) {
        ctx.writeAndFlush(new DefaultHttp2WindowUpdateFrame(LinkHeaders.CONNECTION_WINDOW - 65_535));
    }
}
