package dev.vpctunnel.core.net;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.timeout.IdleState;
import io.netty.handler.timeout.IdleStateEvent;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class IdleWatchTest {
    private static final class Events extends ChannelInboundHandlerAdapter {
        final List<IdleState> seen = new CopyOnWriteArrayList<>();

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
            if (evt instanceof IdleStateEvent e) {
                seen.add(e.state());
            }
        }
    }

    /** Runs the channel's timers for {@code ms} of real time, in small steps. */
    private static void pass(EmbeddedChannel ch, long ms) throws InterruptedException {
        long end = System.nanoTime() + ms * 1_000_000;
        while (System.nanoTime() < end) {
            Thread.sleep(5);
            ch.runScheduledPendingTasks();
        }
    }

    @Test
    void writerIdleFiresOnlyWhenNothingWasWrittenAndReArmsAfterAWrite() throws Exception {
        Events events = new Events();
        EmbeddedChannel ch = new EmbeddedChannel(new IdleWatch(Duration.ZERO, Duration.ofMillis(300), Duration.ZERO), events);
        for (int i = 0; i < 6; i++) {
            pass(ch, 30);
            ch.writeOutbound(Unpooled.wrappedBuffer(new byte[] {1})); // a write every 30 ms: never idle (300 ms)
            ch.releaseOutbound();
        }
        assertTrue(events.seen.isEmpty(), "writes keep it busy: " + events.seen);
        pass(ch, 500);
        assertEquals(List.of(IdleState.WRITER_IDLE), events.seen, "one event per idle period");
        ch.writeOutbound(Unpooled.wrappedBuffer(new byte[] {2}));
        ch.releaseOutbound();
        pass(ch, 500);
        assertEquals(List.of(IdleState.WRITER_IDLE, IdleState.WRITER_IDLE), events.seen, "re-armed by the write");
        ch.finishAndReleaseAll();
    }

    @Test
    void readerAndAllIdleFollowReads() throws Exception {
        Events events = new Events();
        EmbeddedChannel ch = new EmbeddedChannel(new IdleWatch(Duration.ofMillis(300), Duration.ZERO, Duration.ofMillis(600)), events);
        for (int i = 0; i < 6; i++) {
            pass(ch, 30);
            ch.writeInbound(Unpooled.wrappedBuffer(new byte[] {1}));
            ch.releaseInbound();
        }
        assertTrue(events.seen.isEmpty(), "reads keep it busy: " + events.seen);
        pass(ch, 900);
        assertEquals(List.of(IdleState.READER_IDLE, IdleState.ALL_IDLE), events.seen);
        ch.close();
        pass(ch, 100);
        assertEquals(2, events.seen.size(), "nothing after the close");
        ch.finishAndReleaseAll();
    }
}
