package dev.vpctunnel.connector.link;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http2.DefaultHttp2GoAwayFrame;
import io.netty.handler.codec.http2.DefaultHttp2PingFrame;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2GoAwayFrame;
import io.netty.handler.codec.http2.Http2PingFrame;

import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * How a registered link ends without losing a fetch the edge sends while it learns of the end (RFC 9113 6.8).
 * <ol>
 * <li>{@link #noticeThenPing}: a GOAWAY whose last stream id is 2^31-1 (beside the control stream's Drain message),
 * then a PING. The edge opens no more streams on the link once it read the notice (its TunnelStreamHandler holds back
 * the HEADERS of a stream picked just before), so when it acknowledges the PING every stream it opened on the link has
 * arrived here; those are served like the ones in flight, and only then (or after {@link #ackWait()}: an edge that
 * does not answer) the link refuses streams (REFUSED_STREAM, {@link StreamDispatcher}), which the edge sends again
 * elsewhere. A GOAWAY with the real last stream id made Netty refuse such a stream before creating it, and then take
 * the DATA frame after its HEADERS for a protocol error that closed the link with every fetch still in flight on it;
 * so no GOAWAY here ever carries it.</li>
 * <li>{@link #gracefully}: once the link's fetches are done (or are to be cut), the notice again and a PING; the link
 * closes when the edge acknowledges the PING (every stream it opened before has arrived here and been refused) or
 * after {@link #ackWait()}. Closed at once, a stream the edge had just opened died as "connection lost", and closing a
 * socket with unread bytes resets it, which can take the notice itself away from the edge.</li>
 * </ol>
 */
final class LinkClose {
    private static final long DEFAULT_ACK_WAIT_MS = 2_000;

    private LinkClose() {
    }

    /**
     * How long the edge has to acknowledge a PING of the drain or the close: 2 s, or {@code -Dvpctunnel.linkAckWaitMs}
     * (read at each use: tests that hold a link's bytes longer set it).
     */
    static Duration ackWait() {
        return Duration.ofMillis(Math.max(1, Long.getLong("vpctunnel.linkAckWaitMs", DEFAULT_ACK_WAIT_MS)));
    }

    /** The first GOAWAY of a drain: no new streams, those on the way are still taken. */
    static Http2GoAwayFrame notice() {
        return new DefaultHttp2GoAwayFrame(Http2Error.NO_ERROR).setExtraStreamIds(Integer.MAX_VALUE);
    }

    /** The notice (again: a repeat is not sent) and a PING, then closes on the PING's ack or after ackWait. Any thread. */
    static void gracefully(Channel ch) {
        ch.eventLoop().execute(() -> {
            if (!noticeThenPing(ch, CLOSE_ACK, ch::close, ch::close)) {
                ch.close(); // still connecting, or the TLS handshake is on: no HTTP/2 to end, and nothing to wait for
            }
        });
    }

    private static final String CLOSE_ACK = "close-ack";

    /**
     * On the link's loop: the notice and a PING; once, on the loop, {@code onAck} when the edge acknowledges that PING
     * (it has read the notice, and every stream it opened before that has arrived here), else {@code onTimeout} after
     * {@link #ackWait()}. True when a watch named {@code watchName} is on already (its actions stand); false, and
     * nothing sent, on a link without HTTP/2 up (connecting, or in its TLS handshake).
     */
    static boolean noticeThenPing(Channel ch, String watchName, Runnable onAck, Runnable onTimeout) {
        if (ch.pipeline().get(watchName) != null) {
            return true;
        }
        if (!ch.isActive() || ch.pipeline().get("pings") == null) {
            return false;
        }
        long payload = ThreadLocalRandom.current().nextLong();
        AckWatch watch = new AckWatch(payload, onAck);
        ch.pipeline().addBefore("pings", watchName, watch);
        ch.write(notice());
        ch.writeAndFlush(new DefaultHttp2PingFrame(payload));
        ch.eventLoop().schedule(() -> watch.fire(onTimeout), ackWait().toMillis(), TimeUnit.MILLISECONDS);
        return true;
    }

    /** Runs one action, once: its own when the PING with its payload comes back acknowledged, or the one it is given. */
    private static final class AckWatch extends ChannelInboundHandlerAdapter {
        private final long payload;
        private final Runnable onAck;
        private boolean fired;

        AckWatch(long payload, Runnable onAck) {
            this.payload = payload;
            this.onAck = onAck;
        }

        void fire(Runnable action) {
            if (!fired) {
                fired = true;
                action.run();
            }
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (msg instanceof Http2PingFrame p && p.ack() && p.content() == payload) {
                fire(onAck);
            }
            ctx.fireChannelRead(msg);
        }
    }
}
