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
 * <li>{@link #notice()}: a GOAWAY whose last stream id is 2^31-1 (beside the control stream's Drain message). The edge
 * opens no more streams on the link; a stream it opened before reading this still arrives, is refused
 * (REFUSED_STREAM, {@link StreamDispatcher}) and sent again on another link. A GOAWAY with the real last stream id
 * made Netty refuse such a stream before creating it, and then take the DATA frame after its HEADERS for a protocol
 * error that closed the link with every fetch still in flight on it; so no GOAWAY here ever carries it.</li>
 * <li>{@link #gracefully}: once the link's fetches are done (or are to be cut), the notice if not sent yet, and a
 * PING; the link closes when the edge acknowledges the PING (it has read the notice, and every stream it opened
 * before that has arrived here and been refused) or after {@link #ACK_WAIT}. Closed at once, a stream the edge had
 * just opened died as "connection lost", and closing a socket with unread bytes resets it, which can take the
 * notice itself away from the edge.</li>
 * </ol>
 */
final class LinkClose {
    static final Duration ACK_WAIT = Duration.ofSeconds(2);

    private LinkClose() {
    }

    /** The first GOAWAY of a drain: no new streams, those on the way are still taken (and refused). */
    static Http2GoAwayFrame notice() {
        return new DefaultHttp2GoAwayFrame(Http2Error.NO_ERROR).setExtraStreamIds(Integer.MAX_VALUE);
    }

    /** The notice (again: a repeat is not sent) and a PING, then closes on the PING's ack or after ACK_WAIT. Any thread. */
    static void gracefully(Channel ch) {
        ch.eventLoop().execute(() -> {
            if (ch.pipeline().get(CLOSE_ACK) != null) {
                return;
            }
            if (!noticeThenPing(ch, CLOSE_ACK, ch::close)) {
                ch.close(); // still connecting, or the TLS handshake is on: no HTTP/2 to end, and nothing to wait for
                return;
            }
            ch.eventLoop().schedule(() -> ch.close(), ACK_WAIT.toMillis(), TimeUnit.MILLISECONDS);
        });
    }

    private static final String CLOSE_ACK = "close-ack";

    /**
     * On the link's loop: the notice and a PING; {@code onAck} runs on the loop once the edge acknowledges that PING,
     * that is, once it has read the notice, and every stream it opened before that has arrived here. False, and nothing
     * sent, on a link without HTTP/2 up (connecting, or in its TLS handshake).
     */
    static boolean noticeThenPing(Channel ch, String watchName, Runnable onAck) {
        if (!ch.isActive() || ch.pipeline().get("pings") == null) {
            return false;
        }
        long payload = ThreadLocalRandom.current().nextLong();
        ch.pipeline().addBefore("pings", watchName, new AckWatch(payload, onAck));
        ch.write(notice());
        ch.writeAndFlush(new DefaultHttp2PingFrame(payload));
        return true;
    }

    /** Runs its action, once, when the PING with its payload comes back acknowledged. */
    private static final class AckWatch extends ChannelInboundHandlerAdapter {
        private final long payload;
        private Runnable onAck;

        AckWatch(long payload, Runnable onAck) {
            this.payload = payload;
            this.onAck = onAck;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (onAck != null && msg instanceof Http2PingFrame p && p.ack() && p.content() == payload) {
                Runnable r = onAck;
                onAck = null;
                r.run();
            }
            ctx.fireChannelRead(msg);
        }
    }
}
