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
        UnregisteredSockets.Socket admitted = server.admit(ch);
        SslHandler ssl = config.sslContext().newHandler(ch.alloc());
        ssl.setHandshakeTimeoutMillis(config.handshakeTimeout().toMillis());
        ch.pipeline().addLast("tls", ssl).addLast("alpn", new Alpn(admitted));
    }

    private final class Alpn extends ApplicationProtocolNegotiationHandler {
        private final UnregisteredSockets.Socket admitted;

        Alpn(UnregisteredSockets.Socket admitted) {
            super("none");
            this.admitted = admitted;
        }

        @Override
        protected void configurePipeline(ChannelHandlerContext ctx, String protocol) {
            if (!ApplicationProtocolNames.HTTP_2.equals(protocol)) {
                LOG.fine(() -> "tunnel socket from " + ctx.channel().remoteAddress() + " did not negotiate h2, closing");
                ctx.close();
                return;
            }
            EdgeLinkSession session = new EdgeLinkSession(config, server, admitted);
            LinkHttp2.install(ctx.pipeline(), new LinkHeartbeat(config.heartbeatInterval(), config.heartbeatTimeout(),
                    why -> LOG.warning(() -> session + ": " + why)), LinkHttp2.edgeCodec(), new RefuseInbound(), session);
        }

        @Override
        protected void handshakeFailure(ChannelHandlerContext ctx, Throwable cause) {
            LOG.log(Level.FINE, "tunnel TLS handshake from " + ctx.channel().remoteAddress() + " failed: " + cause);
            HANDSHAKE_FAILURES.report(ctx.channel().remoteAddress(), cause);
            ctx.close();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            LOG.log(Level.FINE, "tunnel socket from " + ctx.channel().remoteAddress() + " failed: " + cause);
            ctx.close();
        }
    }

    private static final HandshakeFailures HANDSHAKE_FAILURES = new HandshakeFailures();

    /**
     * Failed handshakes on the tunnel port at info, at most one line a minute (the others counted into the next), with
     * what is likely wrong: an operator sees why a connector, or something that is not one, gets nowhere.
     */
    static final class HandshakeFailures {
        static final long EVERY_NANOS = java.util.concurrent.TimeUnit.MINUTES.toNanos(1);
        private final dev.vpctunnel.core.net.OncePer minute = new dev.vpctunnel.core.net.OncePer(EVERY_NANOS);

        void report(java.net.SocketAddress from, Throwable cause) {
            int others = minute.leftOutBeforeNow();
            if (others < 0) {
                return;
            }
            LOG.info(() -> line(from, cause) + (others == 0 ? "" : " (" + others + " more failed handshakes since the last such line)"));
        }

        static String line(java.net.SocketAddress from, Throwable cause) {
            for (Throwable c = cause; c != null; c = c.getCause()) {
                if (c instanceof io.netty.handler.ssl.NotSslRecordException) {
                    return "tunnel port: " + from + " did not speak TLS (plain HTTP?): this port takes connectors only;"
                            + " the admin API and the gateway have their own ports";
                }
            }
            if (cause instanceof java.nio.channels.ClosedChannelException
                    || cause instanceof io.netty.handler.ssl.SslHandshakeTimeoutException) {
                return "tunnel port: " + from + " closed or stalled before the TLS handshake completed (a port"
                        + " check, or a client that is not a connector)";
            }
            String why = cause.getMessage() == null ? cause.getClass().getSimpleName() : cause.getMessage();
            return "tunnel port: TLS handshake from " + from + " failed: " + why
                    + " (a connector whose --edge-ca is not this edge's CA, or a client that is not a connector)";
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
