package dev.vpctunnel.connector.link;

import dev.vpctunnel.core.link.LinkHeartbeat;
import dev.vpctunnel.core.link.LinkHttp2;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.ssl.ApplicationProtocolNames;
import io.netty.handler.ssl.ApplicationProtocolNegotiationHandler;
import io.netty.handler.ssl.SslHandler;
import io.netty.util.ReferenceCountUtil;

import java.net.InetSocketAddress;
import java.util.logging.Logger;

/** Pipeline of a link: TLS to the edge (its name verified), then HTTP/2 as server, heartbeats, streams. */
final class ConnectorLinkInitializer extends ChannelInitializer<SocketChannel> {
    private static final Logger LOG = Logger.getLogger(ConnectorLinkInitializer.class.getName());
    private final LinkSlot slot;
    private final InetSocketAddress edge;

    ConnectorLinkInitializer(LinkSlot slot, InetSocketAddress edge) {
        this.slot = slot;
        this.edge = edge;
    }

    @Override
    protected void initChannel(SocketChannel ch) {
        SslHandler ssl = slot.config().sslContext().newHandler(ch.alloc(), edge.getHostString(), edge.getPort());
        ssl.setHandshakeTimeoutMillis(10_000);
        ch.pipeline().addLast("tls", ssl).addLast("alpn", new Alpn());
    }

    private final class Alpn extends ApplicationProtocolNegotiationHandler {
        Alpn() {
            super("none");
        }

        @Override
        protected void configurePipeline(ChannelHandlerContext ctx, String protocol) {
            if (!ApplicationProtocolNames.HTTP_2.equals(protocol)) {
                LOG.warning(() -> slot + ": edge " + edge + " did not negotiate h2, closing");
                ctx.close();
                return;
            }
            LinkConfig c = slot.config();
            LinkHttp2.install(ctx.pipeline(), new LinkHeartbeat(c.heartbeatInterval(), c.heartbeatTimeout(),
                    why -> LOG.warning(() -> slot + ": " + why)), LinkHttp2.connectorCodec(c.maxStreamsPerLink()),
                    new StreamDispatcher(slot), new Session());
        }

        @Override
        protected void handshakeFailure(ChannelHandlerContext ctx, Throwable cause) {
            LOG.warning(() -> slot + ": TLS handshake with edge " + LinkConfig.hostPort(edge) + " failed: " + cause.getMessage());
            ctx.close();
        }
    }

    /** The end of the link's parent pipeline: window growth, stray frames, errors. */
    private final class Session extends ChannelInboundHandlerAdapter {
        @Override
        public void handlerAdded(ChannelHandlerContext ctx) {
            LinkHttp2.growConnectionWindow(ctx);
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ReferenceCountUtil.release(msg);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            LOG.fine(() -> slot + ": link error: " + cause);
            ctx.close();
        }
    }
}
