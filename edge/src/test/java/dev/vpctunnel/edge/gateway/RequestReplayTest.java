package dev.vpctunnel.edge.gateway;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RequestReplayTest {
    private final ByteBufAllocator alloc = ByteBufAllocator.DEFAULT;

    @Test
    void aKeptPieceDoesNotPinTheBufferItWasReadIn() {
        RequestReplay replay = new RequestReplay();
        ByteBuf read = Unpooled.directBuffer(64 * 1024).writeZero(64 * 1024); // one socket read
        replay.keep(read.slice(10, 3), alloc);
        assertTrue(read.release(), "the read buffer is freed once its reader is done with it, though a piece was kept");
        assertTrue(replay.whole());
        replay.release();
        assertFalse(replay.whole());
    }

    @Test
    void aBodyInManySmallPiecesIsKeptUpToTheLimit() {
        RequestReplay replay = new RequestReplay();
        ByteBuf piece = Unpooled.wrappedBuffer(new byte[16]);
        for (int i = 0; i < RequestReplay.LIMIT / 16; i++) {
            replay.keep(piece, alloc);
        }
        assertTrue(replay.whole(), "4,096 pieces of 16 bytes fill the limit exactly");
        assertEquals(16, piece.readableBytes(), "keeping does not consume the piece, which goes out as well");
        replay.keep(Unpooled.wrappedBuffer(new byte[1]), alloc);
        assertFalse(replay.whole(), "one byte more: not kept, and that fetch is not retried");
        replay.release();
    }
}
