package dev.vpctunnel.core.link;

import dev.vpctunnel.proto.ConnectorFrame;
import dev.vpctunnel.proto.Drain;
import io.netty.buffer.AbstractByteBufAllocator;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.buffer.UnpooledDirectByteBuf;
import io.netty.buffer.UnpooledHeapByteBuf;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The control streams' length-delimited messages, however the bytes are cut into frames. */
class DelimitedFramesTest {
    private static final int MAX = 16 * 1024;

    private static ConnectorFrame drain(int reasonLength) {
        return ConnectorFrame.newBuilder().setDrain(Drain.newBuilder().setReason("r".repeat(reasonLength))).build();
    }

    private static byte[] encoded(List<ConnectorFrame> messages) {
        ByteBuf all = Unpooled.buffer();
        for (ConnectorFrame m : messages) {
            ByteBuf one = DelimitedFrames.encode(ByteBufAllocator.DEFAULT, m);
            all.writeBytes(one);
            one.release();
        }
        byte[] bytes = new byte[all.readableBytes()];
        all.readBytes(bytes);
        all.release();
        return bytes;
    }

    @Test
    void messagesCutAnywhereDecodeTheSame() throws IOException {
        List<ConnectorFrame> sent = List.of(drain(1), drain(300), drain(10_000), drain(0));
        byte[] bytes = encoded(sent);
        for (int piece : new int[] {1, 2, 7, 127, 128, 1000, bytes.length}) {
            DelimitedFrames<ConnectorFrame> frames = new DelimitedFrames<>(ConnectorFrame.parser(), MAX);
            List<ConnectorFrame> got = new ArrayList<>();
            for (int at = 0; at < bytes.length; at += piece) {
                got.addAll(frames.feed(Unpooled.wrappedBuffer(bytes, at, Math.min(piece, bytes.length - at))));
            }
            assertEquals(sent, got, "pieces of " + piece + " bytes");
            frames.close();
        }
    }

    /** Before, every piece of an unfinished message copied all of it into a new buffer: 16,000 buffers for 16 KB. */
    @Test
    void aMessageTrickledAByteAtATimeIsNotCopiedPerByte() throws IOException {
        CountingAllocator alloc = new CountingAllocator();
        byte[] bytes = encoded(List.of(drain(MAX - 100)));
        List<ByteBuf> pieces = new ArrayList<>();
        for (byte b : bytes) {
            pieces.add(alloc.heapBuffer(1).writeByte(b));
        }
        alloc.buffers.set(0);
        DelimitedFrames<ConnectorFrame> frames = new DelimitedFrames<>(ConnectorFrame.parser(), MAX);
        List<ConnectorFrame> got = new ArrayList<>();
        for (ByteBuf p : pieces) {
            got.addAll(frames.feed(p));
        }
        assertEquals(List.of(drain(MAX - 100)), got);
        assertTrue(alloc.buffers.get() <= 2, alloc.buffers.get() + " buffers made for one message");
        pieces.forEach(p -> assertEquals(0, p.refCnt(), "every piece released"));
    }

    @Test
    void anOversizedOrMalformedMessageIsRefused() {
        DelimitedFrames<ConnectorFrame> frames = new DelimitedFrames<>(ConnectorFrame.parser(), 100);
        ByteBuf big = Unpooled.wrappedBuffer(encoded(List.of(drain(200))));
        assertThrows(IOException.class, () -> frames.feed(big));
        assertEquals(0, big.refCnt());
        DelimitedFrames<ConnectorFrame> other = new DelimitedFrames<>(ConnectorFrame.parser(), 100);
        ByteBuf junk = Unpooled.wrappedBuffer(new byte[] {5, (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff});
        assertThrows(IOException.class, () -> other.feed(junk));
        assertEquals(0, junk.refCnt());
    }

    /** Unpooled buffers, counted as they are made (growing one in place is not making one). */
    private static final class CountingAllocator extends AbstractByteBufAllocator {
        final AtomicInteger buffers = new AtomicInteger();

        CountingAllocator() {
            super(false);
        }

        @Override
        protected ByteBuf newHeapBuffer(int initialCapacity, int maxCapacity) {
            buffers.incrementAndGet();
            return new UnpooledHeapByteBuf(this, initialCapacity, maxCapacity);
        }

        @Override
        protected ByteBuf newDirectBuffer(int initialCapacity, int maxCapacity) {
            buffers.incrementAndGet();
            return new UnpooledDirectByteBuf(this, initialCapacity, maxCapacity);
        }

        @Override
        public boolean isDirectBufferPooled() {
            return false;
        }
    }
}
