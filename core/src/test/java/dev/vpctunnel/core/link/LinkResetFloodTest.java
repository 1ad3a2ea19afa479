package dev.vpctunnel.core.link;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http2.DefaultHttp2DataFrame;
import io.netty.handler.codec.http2.DefaultHttp2GoAwayFrame;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.DefaultHttp2HeadersFrame;
import io.netty.handler.codec.http2.DefaultHttp2ResetFrame;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2FrameCodec;
import io.netty.handler.codec.http2.Http2HeadersFrame;
import io.netty.handler.codec.http2.Http2MultiplexHandler;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.handler.codec.http2.Http2StreamChannelBootstrap;
import io.netty.util.ReferenceCountUtil;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The two ends of a link's HTTP/2 (the real codecs, bytes moved between two embedded channels): ordinary bursts of
 * RST_STREAM in either direction, and empty DATA frames written on many streams, leave the link up; GOAWAYs are kept
 * as the close reason.
 */
class LinkResetFloodTest {
    private final Http2FrameCodec edgeCodec = LinkHttp2.edgeCodec();
    private final Http2FrameCodec connectorCodec = LinkHttp2.connectorCodec(100);
    private final EmbeddedChannel edge = new EmbeddedChannel(edgeCodec, new Http2MultiplexHandler(new ChannelInboundHandlerAdapter()));
    private final EmbeddedChannel connector = new EmbeddedChannel(connectorCodec, new Http2MultiplexHandler(new ConnectorStream()));

    {
        LinkCloseReason.watch(edge, edgeCodec.connection());
        LinkCloseReason.watch(connector, connectorCodec.connection());
        pump();
    }

    @AfterEach
    void release() {
        edge.finishAndReleaseAll();
        connector.finishAndReleaseAll();
    }

    /** The far end of a stream: resets the stream when its path is /reset, else reads and drops what comes. */
    @ChannelHandler.Sharable
    private static final class ConnectorStream extends ChannelInboundHandlerAdapter {
        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            boolean reset = msg instanceof Http2HeadersFrame h && "/reset".contentEquals(h.headers().path());
            ReferenceCountUtil.release(msg);
            if (reset) {
                ctx.writeAndFlush(new DefaultHttp2ResetFrame(Http2Error.INTERNAL_ERROR));
            }
        }
    }

    /** Moves bytes both ways until neither end has anything more to send. */
    private void pump() {
        for (int round = 0; round < 10_000; round++) {
            boolean moved = move(edge, connector) | move(connector, edge);
            if (!moved) {
                return;
            }
        }
        throw new AssertionError("the two ends never went quiet");
    }

    private static boolean move(EmbeddedChannel from, EmbeddedChannel to) {
        from.runPendingTasks();
        boolean moved = false;
        for (Object o; (o = from.readOutbound()) != null; ) {
            moved = true;
            if (to.isActive()) {
                to.writeInbound(o);
            } else {
                ReferenceCountUtil.release(o);
            }
        }
        to.runPendingTasks();
        return moved;
    }

    private Http2StreamChannel open(String path, boolean endStream) {
        Http2StreamChannel s = new Http2StreamChannelBootstrap(edge).handler(new ChannelInboundHandlerAdapter() {
            @Override
            public void channelRead(ChannelHandlerContext ctx, Object msg) {
                ReferenceCountUtil.release(msg);
            }
        }).open().syncUninterruptibly().getNow();
        s.writeAndFlush(new DefaultHttp2HeadersFrame(new DefaultHttp2Headers().method("POST").scheme("https")
                .authority("origin.internal").path(path), endStream));
        return s;
    }

    private void assertLinkUp() {
        assertTrue(edge.isActive() && connector.isActive(), "both ends still open");
        assertFalse(edgeCodec.connection().goAwaySent() || edgeCodec.connection().goAwayReceived(),
                "no GOAWAY at the edge: " + LinkCloseReason.of(edge));
        assertFalse(connectorCodec.connection().goAwaySent() || connectorCodec.connection().goAwayReceived(),
                "no GOAWAY at the connector: " + LinkCloseReason.of(connector));
    }

    @Test
    void sixHundredFetchesCancelledByTheEdgeLeaveTheLinkUp() {
        for (int batch = 0; batch < 12; batch++) { // 50 at a time, as a burst of cancelled fetches
            List<Http2StreamChannel> streams = new ArrayList<>();
            for (int i = 0; i < 50; i++) {
                streams.add(open("/slow", false));
            }
            pump();
            assertEquals(50, connectorCodec.connection().numActiveStreams(), "the connector saw the 50 requests");
            streams.forEach(Http2StreamChannel::close); // each sends RST_STREAM(CANCEL)
            pump();
            assertEquals(0, connectorCodec.connection().numActiveStreams(), "the connector saw the 50 resets");
        }
        assertLinkUp();
    }

    @Test
    void sixHundredStreamsResetByTheConnectorLeaveTheLinkUp() {
        for (int batch = 0; batch < 12; batch++) {
            List<Http2StreamChannel> streams = new ArrayList<>();
            for (int i = 0; i < 50; i++) {
                streams.add(open("/reset", true));
            }
            pump();
            assertTrue(streams.stream().noneMatch(Http2StreamChannel::isActive), "the connector reset all 50");
        }
        assertLinkUp();
    }

    @Test
    void emptyDataFramesFromManyStreamsLeaveTheLinkUp() {
        // what the edge forwards when several h2c workers each send one empty DATA frame: Netty's encoder sends no
        // frame for them, so the empty-DATA limit (2 in a row), kept on the link, does not close it
        List<Http2StreamChannel> streams = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            streams.add(open("/upload", false));
        }
        pump();
        for (Http2StreamChannel s : streams) {
            s.writeAndFlush(new DefaultHttp2DataFrame(Unpooled.EMPTY_BUFFER, false));
        }
        pump();
        assertLinkUp();
        streams.forEach(Http2StreamChannel::close);
        pump();
    }

    @Test
    void theGoAwayThatClosedTheLinkIsItsCloseReasonAtBothEnds() {
        assertEquals("", LinkCloseReason.of(connector));
        ByteBuf debug = Unpooled.copiedBuffer("too many\nthings", StandardCharsets.UTF_8);
        edge.writeAndFlush(new DefaultHttp2GoAwayFrame(Http2Error.ENHANCE_YOUR_CALM, debug));
        pump();
        edge.close(); // a NO_ERROR GOAWAY goes out with the close: the first one still says why
        pump();
        assertEquals(" (GOAWAY received: ENHANCE_YOUR_CALM, \"too many?things\")", LinkCloseReason.of(connector));
        assertEquals(" (GOAWAY sent: ENHANCE_YOUR_CALM, \"too many?things\")", LinkCloseReason.of(edge));
    }

    @Test
    void anErrorIsTheReasonWhenNoGoAwaySaidMore() {
        LinkCloseReason.error(connector, new java.io.IOException("Connection reset by peer"));
        LinkCloseReason.error(connector, new IllegalStateException("later"));
        connector.close(); // sends a NO_ERROR GOAWAY
        pump();
        assertEquals(" (IOException: Connection reset by peer)", LinkCloseReason.of(connector));
        assertEquals(" (GOAWAY received: NO_ERROR)", LinkCloseReason.of(edge));
    }
}
