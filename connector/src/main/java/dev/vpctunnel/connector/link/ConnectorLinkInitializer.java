package dev.vpctunnel.connector.link;

import dev.vpctunnel.core.link.LinkCloseReason;
import dev.vpctunnel.core.link.LinkHeartbeat;
import dev.vpctunnel.core.link.LinkHttp2;
import dev.vpctunnel.core.net.NativeErrors;
import dev.vpctunnel.core.net.StreamChannels;
import dev.vpctunnel.core.net.Transports;
import dev.vpctunnel.core.tls.CertificateExpiry;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.ssl.ApplicationProtocolNames;
import io.netty.handler.ssl.ApplicationProtocolNegotiationHandler;
import io.netty.handler.ssl.NotSslRecordException;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import io.netty.handler.ssl.SslHandshakeTimeoutException;
import io.netty.util.ReferenceCountUtil;

import java.net.InetSocketAddress;
import java.nio.channels.ClosedChannelException;
import java.util.logging.Logger;

/** Pipeline of a link: TLS to the edge (its name verified), then HTTP/2 as server, heartbeats, streams. */
final class ConnectorLinkInitializer extends ChannelInitializer<SocketChannel> {
    private static final Logger LOG = Logger.getLogger(ConnectorLinkInitializer.class.getName());
    private final LinkSlot slot;
    private final InetSocketAddress edge;

    /** Opens {@code slot}'s link to {@code address}, one of {@code edge}'s (whose name the handshake verifies). */
    static ChannelFuture dial(LinkSlot slot, InetSocketAddress edge, InetSocketAddress address) {
        return new Bootstrap().group(slot.group()).channel(Transports.socket())
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.SO_KEEPALIVE, true)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) slot.config().connectTimeout().toMillis())
                .handler(new ConnectorLinkInitializer(slot, edge))
                .connect(address);
    }

    ConnectorLinkInitializer(LinkSlot slot, InetSocketAddress edge) {
        this.slot = slot;
        this.edge = edge;
    }

    @Override
    protected void initChannel(SocketChannel ch) {
        SslHandler ssl = slot.config().sslContext().newHandler(ch.alloc(), edge.getHostString(), edge.getPort());
        ssl.setHandshakeTimeoutMillis(slot.config().connectTimeout().toMillis());
        ch.pipeline().addLast("tls", ssl).addLast("alpn", new Alpn());
    }

    /**
     * Waits for the handshake, then installs HTTP/2. Every way the handshake can fail is logged once here: Netty's
     * base class only reports failures that arrive as an SSLException, so an address that accepts and never answers
     * (timeout) or closes the connection was retried in silence, and a reset came out as Netty's generic warnings.
     */
    private final class Alpn extends ApplicationProtocolNegotiationHandler {
        private boolean reported;

        Alpn() {
            super("none");
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
            if (evt instanceof SslHandshakeCompletionEvent e && !e.isSuccess()) {
                handshakeFailure(ctx, e.cause());
            }
            super.userEventTriggered(ctx, evt);
        }

        /** Only reached before the handshake completed: this handler leaves the pipeline once it has. */
        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            handshakeFailure(ctx, cause instanceof DecoderException && cause.getCause() != null ? cause.getCause() : cause);
        }

        @Override
        protected void configurePipeline(ChannelHandlerContext ctx, String protocol) {
            if (!ApplicationProtocolNames.HTTP_2.equals(protocol)) {
                LOG.warning(() -> slot + ": edge " + edge + " did not negotiate h2, closing");
                ctx.close();
                return;
            }
            warnIfExpiring(ctx);
            LinkConfig c = slot.config();
            StreamChannels fetches = new StreamChannels();
            LinkHttp2.install(ctx.pipeline(), new LinkHeartbeat(c.heartbeatInterval(), c.heartbeatTimeout(),
                    why -> LOG.warning(() -> slot + ": " + why)), LinkHttp2.connectorCodec(c.maxStreamsPerLink()),
                    new StreamDispatcher(slot, fetches), new Session());
            ctx.pipeline().addBefore("session", "fetches", fetches); // a lost link cancels its fetches at once
        }

        /** The edge's certificate near its end (30 days): a warning when a link connects, at most once a day per edge. */
        private void warnIfExpiring(ChannelHandlerContext ctx) {
            try {
                var certs = ctx.pipeline().get(SslHandler.class).engine().getSession().getPeerCertificates();
                if (certs.length > 0 && certs[0] instanceof java.security.cert.X509Certificate leaf) {
                    CertificateExpiry.near(leaf, java.time.Instant.now()).filter(w -> slot.supervisor().certificateWarningDue(LinkConfig.hostPort(edge))).ifPresent(when ->
                            LOG.warning(() -> slot + ": the certificate of edge " + LinkConfig.hostPort(edge) + " " + when
                                    + "; links to it fail once it has expired (its operator renews it: 'edge serve' says how)"));
                }
            } catch (javax.net.ssl.SSLPeerUnverifiedException e) {
                // the handshake verified it: not reached
            }
        }

        @Override
        protected void handshakeFailure(ChannelHandlerContext ctx, Throwable cause) {
            if (!reported && !slot.stopping()) {
                reported = true;
                LOG.warning(() -> slot + ": TLS handshake with edge " + LinkConfig.hostPort(edge) + " failed: "
                        + whyHandshakeFailed(cause, edge.getHostString()));
            }
            ctx.close();
        }
    }

    /**
     * Why a handshake with the edge at {@code host} failed, in words: the engines wrap the certificate's problem
     * ("General OpenSslEngine problem", "certificate_unknown(46)"), so the reason is taken from the cause chain.
     */
    static String whyHandshakeFailed(Throwable cause, String host) {
        String notAnEdge = " (is this the address of an edge's --tunnel-listen?)";
        if (cause instanceof SslHandshakeTimeoutException) {
            return "no answer, " + message(cause) + notAnEdge;
        }
        if (cause instanceof ClosedChannelException) {
            return "the connection was closed before the handshake completed" + notAnEdge;
        }
        if (cause instanceof NotSslRecordException) {
            return message(cause) + notAnEdge;
        }
        if (!(cause instanceof javax.net.ssl.SSLException) && cause instanceof java.io.IOException) {
            // a socket error in the middle of the handshake (timed out, reset): the path, or no edge at that address
            return NativeErrors.text(message(cause)) + " (the network path to it failed, or it is not an edge's --tunnel-listen)";
        }
        Throwable root = cause;
        boolean pathProblem = false;
        boolean certificateProblem = false;
        Throwable expired = null;
        Throwable notYetValid = null;
        for (Throwable t = cause; t != null; t = t.getCause() == t ? null : t.getCause()) {
            root = t;
            pathProblem |= t instanceof java.security.cert.CertPathBuilderException
                    || t instanceof java.security.cert.CertPathValidatorException;
            certificateProblem |= t instanceof java.security.cert.CertificateException;
            if (t instanceof java.security.cert.CertificateExpiredException && expired == null) {
                expired = t;
            }
            if (t instanceof java.security.cert.CertificateNotYetValidException && notYetValid == null) {
                notYetValid = t;
            }
        }
        String reason = message(root);
        String lower = reason.toLowerCase(java.util.Locale.ROOT);
        if (expired != null) {
            return "the edge's certificate has expired (" + message(expired) + ")";
        }
        if (notYetValid != null) {
            return "the edge's certificate is not valid yet (" + message(notYetValid) + "; is this machine's clock right?)";
        }
        if (lower.contains("subject alternative") || lower.contains("no name matching")) {
            return "the edge's certificate does not cover '" + host + "': " + reason + " (dial the edge by a name or"
                    + " address its certificate covers: localhost, 127.0.0.1, ::1, the edge's host name and its 'edge init --san' names)";
        }
        if (pathProblem || lower.contains("certification path") || lower.contains("valid chain")) {
            return "the edge's certificate is not signed by a CA in --edge-ca: " + reason
                    + " (is --edge-ca the DIR/edge-ca.pem of this edge's 'edge init'?)";
        }
        if (certificateProblem) {
            return "the edge's certificate was refused: " + reason;
        }
        String top = message(cause);
        return root == cause || top.contains(reason) ? top : top + ": " + reason;
    }

    private static String message(Throwable t) {
        String m = t.getMessage();
        return m == null || m.isBlank() ? t.getClass().getSimpleName() : m;
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
            LinkCloseReason.error(ctx.channel(), cause);
            LinkCloseReason.closeAfterCodec(ctx, cause);
        }
    }
}
