package dev.vpctunnel.core.link;

import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.MessageLite;
import com.google.protobuf.Parser;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufInputStream;
import io.netty.buffer.ByteBufOutputStream;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * Length-delimited protobuf messages (varint32 length, then the message) on a byte stream, with a size bound.
 * One instance accumulates the bytes of one direction of a control stream.
 */
public final class DelimitedFrames<T extends MessageLite> {
    private final Parser<T> parser;
    private final int maxMessage;
    private ByteBuf pending;
    /** {@link #pending} is this instance's own buffer (not one fed to it), so more bytes may be written into it. */
    private boolean merging;

    public DelimitedFrames(Parser<T> parser, int maxMessage) {
        this.parser = parser;
        this.maxMessage = maxMessage;
    }

    public static ByteBuf encode(ByteBufAllocator alloc, MessageLite m) {
        int size = m.getSerializedSize();
        ByteBuf buf = alloc.buffer(CodedOutputStream.computeUInt32SizeNoTag(size) + size);
        try (ByteBufOutputStream out = new ByteBufOutputStream(buf)) {
            m.writeDelimitedTo(out);
        } catch (IOException e) {
            buf.release();
            throw new IllegalStateException(e);
        }
        return buf;
    }

    /** Takes ownership of {@code data}; returns every complete message. Throws on a malformed or oversized one. */
    public List<T> feed(ByteBuf data) throws IOException {
        if (pending == null) {
            pending = data;
            merging = false;
        } else {
            if (!merging) {
                // the first piece of a message split over several frames: from here on its pieces are appended to a
                // buffer of this instance's own, which grows by doubling (a message trickled a byte per frame is
                // copied a few times in all, not once per frame)
                ByteBuf merged = pending.alloc().buffer(pending.readableBytes() + data.readableBytes());
                merged.writeBytes(pending);
                pending.release();
                pending = merged;
                merging = true;
            }
            pending.discardSomeReadBytes();
            pending.writeBytes(data);
            data.release();
        }
        List<T> out = new ArrayList<>(1);
        while (true) {
            int start = pending.readerIndex();
            int len = readVarint(pending);
            if (len == -1) {
                pending.readerIndex(start);
                break;
            }
            if (len < 0 || len > maxMessage) {
                close();
                throw new IOException("control message of " + len + " bytes exceeds the limit of " + maxMessage);
            }
            if (pending.readableBytes() < len) {
                pending.readerIndex(start);
                break;
            }
            try {
                out.add(parser.parseFrom(new ByteBufInputStream(pending.readSlice(len))));
            } catch (InvalidProtocolBufferException e) {
                close();
                throw new IOException("malformed control message: " + e.getMessage(), e);
            }
        }
        if (pending.readableBytes() > maxMessage + 5) {
            close();
            throw new IOException("control stream sent more than " + maxMessage + " bytes without a whole message");
        }
        if (!pending.isReadable()) {
            close();
        }
        return out;
    }

    /** -1 when more bytes are needed, -2 when the varint is malformed. */
    private static int readVarint(ByteBuf b) {
        int result = 0;
        for (int shift = 0; shift < 35; shift += 7) {
            if (!b.isReadable()) {
                return -1;
            }
            byte x = b.readByte();
            result |= (x & 0x7f) << shift;
            if ((x & 0x80) == 0) {
                return result;
            }
        }
        return -2;
    }

    public void close() {
        if (pending != null) {
            pending.release();
            pending = null;
        }
    }
}
