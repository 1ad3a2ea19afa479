package dev.vpctunnel.edge.link;

import dev.vpctunnel.core.link.DelimitedFrames;
import dev.vpctunnel.core.link.LinkCloseReason;
import dev.vpctunnel.core.link.LinkHttp2;
import dev.vpctunnel.proto.Drain;
import dev.vpctunnel.proto.EdgeFrame;
import dev.vpctunnel.proto.ReplaceLink;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.handler.codec.http2.Http2GoAwayFrame;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.handler.codec.http2.Http2StreamChannelBootstrap;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;

import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;

/** One tunnel socket after h2 was negotiated: opens the control stream, owns the registered link. */
final class EdgeLinkSession extends ChannelInboundHandlerAdapter {
    private static final Logger LOG = Logger.getLogger(EdgeLinkSession.class.getName());
    private final EdgeLinkConfig config;
    private final TunnelServer server;
    private final UnregisteredSockets.Socket admitted;
    private Channel channel;
    private Http2StreamChannel control;
    private ScheduledFuture<?> registrationTimeout;
    private volatile EdgeLink link;

    EdgeLinkSession(EdgeLinkConfig config, TunnelServer server, UnregisteredSockets.Socket admitted) {
        this.config = config;
        this.server = server;
        this.admitted = admitted;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        channel = ctx.channel();
        server.sessionOpened(this);
        LinkHttp2.growConnectionWindow(ctx);
        registrationTimeout = ctx.executor().schedule(() -> {
            if (link == null) {
                LOG.info(() -> "tunnel socket from " + channel.remoteAddress() + " did not register within "
                        + config.registrationTimeout().toMillis() + " ms, closing");
                channel.close();
            }
        }, config.registrationTimeout().toMillis(), TimeUnit.MILLISECONDS);
        new Http2StreamChannelBootstrap(channel).option(ChannelOption.AUTO_READ, false)
                .handler(new EdgeControlStream(this, server.authority())).open()
                .addListener(f -> {
                    if (f.isSuccess()) {
                        control = (Http2StreamChannel) f.getNow();
                    } else {
                        LOG.fine(() -> "cannot open control stream to " + channel.remoteAddress() + ": " + f.cause());
                        channel.close();
                    }
                });
    }

    EdgeLinkConfig config() {
        return config;
    }

    Channel channel() {
        return channel;
    }

    boolean serverDraining() {
        return server.draining();
    }

    boolean overLinkLimit() {
        return server.router().count() >= config.maxLinks();
    }

    boolean overTunnelLinkLimit(UUID tunnelId) {
        return server.router().count(tunnelId) >= config.maxLinksPerTunnel();
    }

    /**
     * Takes the link out of the unregistered sockets before its registration is answered; false if it was closed (or
     * is being closed as the oldest of them): then it must not register.
     */
    boolean leaveUnregistered() {
        return admitted.leave();
    }

    /** Called by the control stream once the registration was accepted. */
    void registered(EdgeLink l) {
        registrationTimeout.cancel(false);
        link = l;
        server.router().add(l);
        LOG.info(() -> l + " up from " + channel.remoteAddress());
        channel.closeFuture().addListener(f -> {
            server.router().remove(l);
            LOG.info(() -> l + " down" + LinkCloseReason.of(channel));
        });
        if (server.draining()) {
            drain("edge is shutting down");
        }
    }

    /** The connector said it drains this link (control message or GOAWAY): no new streams go to it. */
    void peerDraining(String why) {
        EdgeLink l = link;
        if (l != null && !l.peerDraining()) {
            l.markPeerDraining();
            LOG.info(() -> l + " draining: " + why);
        }
    }

    /** The edge asks the connector to drain this link; the connector answers with GOAWAY and closes it when done. */
    void drain(String reason) {
        channel.eventLoop().execute(() -> {
            EdgeLink l = link;
            if (l == null) {
                channel.close();
                return;
            }
            l.markDraining();
            if (control != null && control.isActive()) {
                EdgeFrame f = EdgeFrame.newBuilder().setDrain(Drain.newBuilder().setReason(reason)).build();
                EdgeControlStream.send(control, f);
            }
        });
    }

    /**
     * The edge asks the connector for a new link in this one's place; the connector drains this one once that one
     * registered (make before break). Any thread.
     */
    void askReplacement(String reason) {
        try {
            channel.eventLoop().execute(() -> {
                EdgeLink l = link;
                if (l != null && !l.draining() && control != null && control.isActive()) {
                    LOG.info(() -> l + ": asks its connector for a new link in its place (" + reason + ")");
                    EdgeControlStream.send(control, EdgeFrame.newBuilder().setReplace(ReplaceLink.newBuilder().setReason(reason)).build());
                }
            });
        } catch (java.util.concurrent.RejectedExecutionException stopping) {
            // the edge's loops stop: the link goes with them
        }
    }

    EdgeLink link() {
        return link;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        try {
            if (msg instanceof Http2GoAwayFrame g) {
                peerDraining("GOAWAY " + g.errorCode());
            }
        } finally {
            ReferenceCountUtil.release(msg);
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (registrationTimeout != null) {
            registrationTimeout.cancel(false);
        }
        server.sessionClosed(this);
        ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        LOG.log(Level.FINE, this + " failed: " + cause);
        LinkCloseReason.error(ctx.channel(), cause);
        LinkCloseReason.closeAfterCodec(ctx, cause);
    }

    @Override
    public String toString() {
        EdgeLink l = link;
        return l != null ? l.toString() : "tunnel socket from " + (channel == null ? "?" : channel.remoteAddress());
    }

    static DelimitedFrames<dev.vpctunnel.proto.ConnectorFrame> newDecoder() {
        return new DelimitedFrames<>(dev.vpctunnel.proto.ConnectorFrame.parser(),
                dev.vpctunnel.core.link.LinkHeaders.MAX_CONTROL_MESSAGE);
    }
}
