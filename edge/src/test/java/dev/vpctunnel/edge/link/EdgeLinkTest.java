package dev.vpctunnel.edge.link;

import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import io.netty.handler.codec.http2.Http2MultiplexHandler;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.util.concurrent.Future;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A link on its way to the end of its stream IDs: a new one asked for ahead, then no more streams, then retired. */
class EdgeLinkTest {
    @Test
    void aNewLinkIsAskedForAheadAndAgainThenTheLinkTakesNoMoreAndRetiresOnceItsLastStreamEnds() {
        EmbeddedChannel ch = new EmbeddedChannel(Http2FrameCodecBuilder.forClient().build(),
                new Http2MultiplexHandler(new ChannelInboundHandlerAdapter()));
        List<Long> asked = new ArrayList<>();
        AtomicInteger retired = new AtomicInteger();
        EdgeLink link = new EdgeLink(ch, UUID.randomUUID(), "c", 0, "test", "edge", 12, asked::add, 28,
                retired::incrementAndGet);
        List<Http2StreamChannel> streams = new ArrayList<>();
        for (int i = 0; i < 28; i++) {
            assertTrue(link.usable(), "stream " + (i + 1) + " may open");
            Future<Http2StreamChannel> f = link.openStream(new ChannelInboundHandlerAdapter());
            ch.runPendingTasks();
            assertTrue(f.isSuccess(), String.valueOf(f.cause()));
            streams.add(f.getNow());
        }
        // from the 12th stream on, every (28 - 12) / 8 = 2nd, up to the last before the end: 8 asks in all
        assertEquals(List.of(12L, 14L, 16L, 18L, 20L, 22L, 24L, 26L), asked);
        assertFalse(link.usable(), "the 28th stream was its last");
        assertTrue(link.draining());
        for (int i = 0; i < streams.size() - 1; i++) {
            streams.get(i).close();
            ch.runPendingTasks();
        }
        assertEquals(0, retired.get(), "one stream still open: not retired yet");
        streams.get(streams.size() - 1).close();
        ch.runPendingTasks();
        assertEquals(1, retired.get());
        assertEquals(0, link.openStreams());
        ch.finishAndReleaseAll();
    }

    /** 17 streams from the first ask to the end: every 2nd, still eight asks in all (a ninth would fall on the 28th). */
    @Test
    void theEdgeAsksEightTimesAtMost() {
        EmbeddedChannel ch = new EmbeddedChannel(Http2FrameCodecBuilder.forClient().build(),
                new Http2MultiplexHandler(new ChannelInboundHandlerAdapter()));
        List<Long> asked = new ArrayList<>();
        EdgeLink link = new EdgeLink(ch, UUID.randomUUID(), "c", 0, "test", "edge", 12, asked::add, 29, () -> { });
        for (int i = 0; i < 29; i++) {
            link.openStream(new ChannelInboundHandlerAdapter());
            ch.runPendingTasks();
        }
        assertEquals(List.of(12L, 14L, 16L, 18L, 20L, 22L, 24L, 26L), asked);
        ch.finishAndReleaseAll();
    }
}
