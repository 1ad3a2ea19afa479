package dev.vpctunnel.e2e;

import dev.vpctunnel.connector.link.LinkSupervisor;
import dev.vpctunnel.core.link.TunnelToken;
import dev.vpctunnel.edge.link.EdgeLink;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http2.DefaultHttp2GoAwayFrame;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.DefaultHttp2HeadersFrame;
import io.netty.handler.codec.http2.DefaultHttp2ResetFrame;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2HeadersFrame;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.handler.codec.http2.Http2StreamFrameToHttpObjectCodec;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

import static dev.vpctunnel.e2e.LinkHarness.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Bursts of ordinary resets over a real TLS link: a worker hanging up mid-fetch makes the edge reset the stream, an
 * origin cutting its response off makes the connector reset it. Hundreds of them within seconds (Netty's default
 * limit was 200 per 30 s) must not take the link down.
 */
class LinkCancelFloodTest {
    private static final Duration WAIT = Duration.ofSeconds(20);
    private static final int FETCHES = 600;
    private static final int AT_ONCE = 50;

    /** The connector's fetch handler: resets streams whose path is /reset, echoes (after x-delay-ms) the others. */
    private static ChannelHandler resetOrEcho() {
        return new ChannelInboundHandlerAdapter() {
            @Override
            public void channelRead(ChannelHandlerContext ctx, Object msg) {
                if (msg instanceof Http2HeadersFrame h && "/reset".contentEquals(h.headers().path())) {
                    ReferenceCountUtil.release(msg);
                    ctx.writeAndFlush(new DefaultHttp2ResetFrame(Http2Error.INTERNAL_ERROR));
                    return;
                }
                ctx.pipeline().addLast(new Http2StreamFrameToHttpObjectCodec(true), new EchoFetchHandler());
                ctx.pipeline().remove(this);
                ctx.fireChannelRead(msg);
            }
        };
    }

    /** Opens a stream, sends a request head ({@code path}); the future completes once the head was written. */
    private static Future<Http2StreamChannel> request(EdgeLink link, String path, boolean endStream) {
        return link.openStream(new ChannelInboundHandlerAdapter() {
            @Override
            public void channelActive(ChannelHandlerContext ctx) {
                ctx.writeAndFlush(new DefaultHttp2HeadersFrame(new DefaultHttp2Headers().method("POST").scheme("http")
                        .authority("echo.internal").path(path).set("x-delay-ms", "30000"), endStream));
                ctx.read();
            }

            @Override
            public void channelRead(ChannelHandlerContext ctx, Object msg) {
                ReferenceCountUtil.release(msg);
                ctx.read();
            }
        });
    }

    private static void assertSameLinkStillWorks(LinkHarness h, TunnelToken t, LinkSupervisor connector, EdgeLink link,
                                                 Channel channel) throws Exception {
        // one fetch after the burst: the connector has handled every reset before it answers this one
        byte[] body = "still here".getBytes(StandardCharsets.UTF_8);
        EdgeStreamClient.Result r = EdgeStreamClient.exchange(h.pick(t.tunnelId()), body, 0).get(10, TimeUnit.SECONDS);
        assertEquals(200, r.status());
        assertEquals("still here", new String(r.body(), StandardCharsets.UTF_8));
        assertTrue(channel.isActive(), "the link is still open");
        assertEquals(1, h.edge.router().links(t.tunnelId()).size());
        assertSame(link, h.pick(t.tunnelId()), "the same registered link, not a reconnected one");
        assertEquals(1, connector.registeredLinks());
        // one registration looks the tunnel up twice: to verify the connector, and once registered (not deleted meanwhile)
        assertEquals(2, h.registrationLookups.get(), "the connector registered once: it never reconnected");
    }

    @Test
    @Timeout(60)
    void sixHundredFetchesCancelledWithinSecondsLeaveTheLinkUp() throws Exception {
        try (LinkHarness h = new LinkHarness()) {
            TunnelToken t = h.newTunnel();
            LinkSupervisor connector = h.connect(t, 1, h.edge.port(), Duration.ofSeconds(5), Duration.ofSeconds(15),
                    LinkCancelFloodTest::resetOrEcho);
            await("link registered", WAIT, () -> h.edge.router().links(t.tunnelId()).size() == 1);
            EdgeLink link = h.pick(t.tunnelId());
            Channel channel = link.channel();
            long start = System.nanoTime();
            for (int done = 0; done < FETCHES; done += AT_ONCE) {
                List<Future<Http2StreamChannel>> opened = new ArrayList<>();
                for (int i = 0; i < AT_ONCE; i++) {
                    opened.add(request(link, "/slow", false));
                }
                await("50 requests on their way", WAIT, () -> opened.stream().allMatch(Future::isDone));
                await("50 fetches in flight at the connector", WAIT, () -> connector.activeStreams() == AT_ONCE);
                List<ChannelFuture> closed = new ArrayList<>();
                for (Future<Http2StreamChannel> f : opened) {
                    closed.add(f.getNow().close()); // the worker hung up: RST_STREAM(CANCEL) to the connector
                }
                await("50 fetches cancelled at the connector", WAIT, () -> connector.activeStreams() == 0
                        && closed.stream().allMatch(ChannelFuture::isDone));
            }
            assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(30), "the burst fit in one 30 s window");
            assertSameLinkStillWorks(h, t, connector, link, channel);
        }
    }

    @Test
    @Timeout(60)
    void sixHundredStreamsResetByTheConnectorWithinSecondsLeaveTheLinkUp() throws Exception {
        try (LinkHarness h = new LinkHarness()) {
            TunnelToken t = h.newTunnel();
            LinkSupervisor connector = h.connect(t, 1, h.edge.port(), Duration.ofSeconds(5), Duration.ofSeconds(15),
                    LinkCancelFloodTest::resetOrEcho);
            await("link registered", WAIT, () -> h.edge.router().links(t.tunnelId()).size() == 1);
            EdgeLink link = h.pick(t.tunnelId());
            Channel channel = link.channel();
            for (int done = 0; done < FETCHES; done += AT_ONCE) {
                List<Future<Http2StreamChannel>> opened = new ArrayList<>();
                for (int i = 0; i < AT_ONCE; i++) {
                    opened.add(request(link, "/reset", true));
                }
                await("50 streams reset by the connector", WAIT, () -> opened.stream().allMatch(f -> f.isDone()
                        && (!f.isSuccess() || f.getNow().closeFuture().isDone())));
            }
            assertSameLinkStillWorks(h, t, connector, link, channel);
        }
    }

    @Test
    @Timeout(60)
    void whenTheEdgeClosesALinkWithAGoAwayBothEndsLogItsErrorCodeAndDebugData() throws Exception {
        List<String> lines = new CopyOnWriteArrayList<>();
        Handler capture = new Handler() {
            @Override
            public void publish(LogRecord r) {
                lines.add(r.getLoggerName() + ": " + r.getMessage());
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
        Logger slotLog = Logger.getLogger("dev.vpctunnel.connector.link.LinkSlot");
        Logger sessionLog = Logger.getLogger("dev.vpctunnel.edge.link.EdgeLinkSession");
        slotLog.addHandler(capture);
        sessionLog.addHandler(capture);
        try (LinkHarness h = new LinkHarness()) {
            TunnelToken t = h.newTunnel();
            h.connect(t, 1);
            await("link registered", WAIT, () -> h.edge.router().links(t.tunnelId()).size() == 1);
            Channel channel = h.pick(t.tunnelId()).channel();
            channel.writeAndFlush(new DefaultHttp2GoAwayFrame(Http2Error.ENHANCE_YOUR_CALM,
                    Unpooled.copiedBuffer("test says calm down", StandardCharsets.UTF_8))).addListener(f -> channel.close());
            String reason = "GOAWAY %s: ENHANCE_YOUR_CALM, \"test says calm down\"";
            await("the connector's line", WAIT, () -> lines.stream().anyMatch(l -> l.contains(
                    "link #0 down (" + reason.formatted("received") + "); retrying in ")));
            await("the edge's line", WAIT, () -> lines.stream().anyMatch(l -> l.contains(
                    " down (" + reason.formatted("sent") + ")")));
        } finally {
            slotLog.removeHandler(capture);
            sessionLog.removeHandler(capture);
        }
    }
}
