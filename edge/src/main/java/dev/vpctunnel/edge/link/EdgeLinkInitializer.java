package dev.vpctunnel.edge.link;

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

import java.util.logging.Level;
import java.util.logging.Logger;

/** Pipeline of an accepted tunnel socket: TLS, then (ALPN h2 only) HTTP/2 as client, heartbeats, the session. */
final class EdgeLinkInitializer extends ChannelInitializer<SocketChannel> {
    private static final Logger LOG = Logger.getLogger(EdgeLinkInitializer.class.getName());
    private final EdgeLinkConfig config;
    private final TunnelServer server;

    EdgeLinkInitializer(EdgeLinkConfig config, TunnelServer server) {
        this.config = config;
        this.server = server;
    }

    @Override
    protected void initChannel(SocketChannel ch) {
        SslHandler ssl = config.sslContext().newHandler(ch.alloc());
        ssl.setHandshakeTimeoutMillis(config.handshakeTimeout().toMillis());
        ch.pipeline().addLast("tls", ssl).addLast("alpn", new Alpn());
    }

    private final class Alpn extends ApplicationProtocolNegotiationHandler {
        Alpn() {
            super("none");
        }

        @Override
        protected void configurePipeline(ChannelHandlerContext ctx, String protocol) {
            if (!ApplicationProtocolNames.HTTP_2.equals(protocol)) {
                LOG.fine(() -> "tunnel socket from " + ctx.channel().remoteAddress() + " did not negotiate h2, closing");
                ctx.close();
                return;
            }
            EdgeLinkSession session = new EdgeLinkSession(config, server);
            LinkHttp2.install(ctx.pipeline(), new LinkHeartbeat(config.heartbeatInterval(), config.heartbeatTimeout(),
                    why -> LOG.warning(() -> session + ": " + why)), LinkHttp2.edgeCodec(), new RefuseInbound(), session);
        }

        @Override
        protected void handshakeFailure(ChannelHandlerContext ctx, Throwable cause) {
            LOG.log(Level.FINE, "tunnel TLS handshake from " + ctx.channel().remoteAddress() + " failed: " + cause);
            ctx.close();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            LOG.log(Level.FINE, "tunnel socket from " + ctx.channel().remoteAddress() + " failed: " + cause);
            ctx.close();
        }
    }

    /** The connector never opens streams; should one arrive anyway, close it. */
    private static final class RefuseInbound extends ChannelInboundHandlerAdapter {
        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ReferenceCountUtil.release(msg);
            ctx.close();
        }
    }
}
