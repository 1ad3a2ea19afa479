package dev.vpctunnel.core.link;

import dev.vpctunnel.core.net.IdleWatch;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http2.DefaultHttp2PingFrame;
import io.netty.handler.codec.http2.Http2PingFrame;
import io.netty.handler.timeout.IdleStateEvent;

import java.time.Duration;
import java.util.function.Consumer;

/**
 * HTTP/2 PING heartbeats: a PING whenever this side has written nothing for {@code interval}; the link is closed
 * when nothing at all was read for {@code timeout}. Both ends run one, so each side notices a silent peer.
 */
public final class LinkHeartbeat extends IdleWatch {
    /** The shortest heartbeat interval an operator may set (0 would turn the heartbeat off). */
    public static final Duration MIN_INTERVAL = Duration.ofMillis(100);
    private final Consumer<String> onSilent;
    private final Duration timeout;

    public LinkHeartbeat(Duration interval, Duration timeout, Consumer<String> onSilent) {
        super(timeout, interval, Duration.ZERO);
        this.timeout = timeout;
        this.onSilent = onSilent;
    }

    @Override
    protected void idle(ChannelHandlerContext ctx, IdleStateEvent evt) {
        switch (evt.state()) {
            // the PING goes in at the tail so that the HTTP/2 codec (after this handler) encodes it
            case WRITER_IDLE -> ctx.channel().writeAndFlush(new DefaultHttp2PingFrame(System.nanoTime()));
            case READER_IDLE -> {
                onSilent.accept("link silent for " + timeout.toMillis() + " ms (no heartbeat), closing it");
                ctx.close();
            }
            default -> { }
        }
    }

    /** Swallows inbound PING frames and acks (the codec already answered them); passes everything else on. */
    public static final class PingSink extends ChannelDuplexHandler {
        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (msg instanceof Http2PingFrame) {
                return;
            }
            ctx.fireChannelRead(msg);
        }
    }
}
