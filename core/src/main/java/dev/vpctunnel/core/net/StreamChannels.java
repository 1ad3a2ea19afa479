package dev.vpctunnel.core.net;

import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.Set;

/**
 * The stream channels of one HTTP/2 connection whose handlers hold their reads (AUTO_READ off, waiting on the other
 * side), closed when the connection closes. When a connection goes away without a RST_STREAM for each stream, Netty
 * closes a stream channel only once the frames queued in it were read, so a handler that waits for the other side
 * before it reads on would never learn that its peer is gone: the fetch would go on (a request body relayed to the
 * origin after the edge reported the fetch failed) and the frames would be held until then. Goes in the connection's
 * pipeline after the multiplexer; {@link #add} is called on the connection's event loop, where its streams live.
 */
public final class StreamChannels extends ChannelInboundHandlerAdapter {
    private final Set<Channel> open = new HashSet<>();
    private final Runnable first;
    private final ChannelFutureListener closed;
    private boolean inactive;

    public StreamChannels() {
        this(() -> { }, () -> { });
    }

    /** With {@code first} run when a stream opens on a connection with none, {@code none} when its last one closed. */
    public StreamChannels(Runnable first, Runnable none) {
        this.first = first;
        this.closed = f -> {
            if (open.remove(f.channel()) && open.isEmpty()) {
                none.run();
            }
        };
    }

    /** Closes {@code stream} when the connection closes (at once if it has). */
    public void add(Channel stream) {
        if (inactive) {
            stream.close();
            return;
        }
        if (open.add(stream)) {
            if (open.size() == 1) {
                first.run();
            }
            stream.closeFuture().addListener(closed);
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        inactive = true;
        // the HTTP/2 codec passes channelInactive on before it closes its streams: these channels close now, with the
        // connection gone no RST_STREAM is written, what they still queue is released and their handlers see
        // channelInactive (the codec's closing of the streams then finds them closed)
        for (Channel s : new ArrayList<>(open)) {
            s.close();
        }
        open.clear();
        ctx.fireChannelInactive();
    }
}
