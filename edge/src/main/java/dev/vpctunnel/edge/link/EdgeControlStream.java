package dev.vpctunnel.edge.link;

import dev.vpctunnel.core.link.DelimitedFrames;
import dev.vpctunnel.core.link.LinkHeaders;
import dev.vpctunnel.core.link.LinkProof;
import dev.vpctunnel.proto.ConnectorFrame;
import dev.vpctunnel.proto.EdgeFrame;
import dev.vpctunnel.proto.FailureKind;
import dev.vpctunnel.proto.RegisterConnection;
import dev.vpctunnel.proto.RegisterResult;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http2.DefaultHttp2DataFrame;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.DefaultHttp2HeadersFrame;
import io.netty.handler.codec.http2.Http2DataFrame;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.handler.codec.http2.Http2HeadersFrame;
import io.netty.util.ReferenceCountUtil;

import java.io.IOException;
import java.util.Optional;
import java.util.UUID;
import java.util.logging.Logger;

/** The edge's end of a link's control stream: challenge, registration check, drain messages. */
final class EdgeControlStream extends ChannelInboundHandlerAdapter {
    private static final Logger LOG = Logger.getLogger(EdgeControlStream.class.getName());
    /** How many characters of a value an unauthenticated peer sent go into a log line or a refusal. */
    static final int MAX_PEER_VALUE = 64;
    private final EdgeLinkSession session;
    private final TunnelAuthority authority;
    private final DelimitedFrames<ConnectorFrame> decoder = EdgeLinkSession.newDecoder();
    private final String challenge = LinkProof.newChallenge();
    private boolean registering;

    EdgeControlStream(EdgeLinkSession session, TunnelAuthority authority) {
        this.session = session;
        this.authority = authority;
    }

    static ChannelFuture send(Channel stream, EdgeFrame frame) {
        return stream.writeAndFlush(new DefaultHttp2DataFrame(DelimitedFrames.encode(stream.alloc(), frame)));
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        Http2Headers h = new DefaultHttp2Headers().method("POST").scheme("https").authority("edge")
                .path(LinkHeaders.CONTROL_PATH);
        h.set(LinkHeaders.CHALLENGE, challenge);
        ctx.writeAndFlush(new DefaultHttp2HeadersFrame(h, false));
        ctx.read();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        try {
            if (msg instanceof Http2DataFrame data) {
                for (ConnectorFrame f : decoder.feed(data.content().retain())) {
                    handle(ctx, f);
                }
                if (data.isEndStream()) {
                    session.channel().close();
                }
            } else if (msg instanceof Http2HeadersFrame headers && headers.isEndStream()) {
                session.channel().close();
            }
        } catch (IOException e) {
            LOG.info(() -> session + ": bad control message, closing: " + e.getMessage());
            session.channel().close();
        } finally {
            ReferenceCountUtil.release(msg);
        }
        ctx.read();
    }

    private void handle(ChannelHandlerContext ctx, ConnectorFrame f) {
        switch (f.getKindCase()) {
            case REGISTER -> register(ctx, f.getRegister());
            case DRAIN -> session.peerDraining(f.getDrain().getReason().isEmpty() ? "connector drains" : peer(f.getDrain().getReason()));
            default -> LOG.fine(() -> session + ": ignoring unknown control message");
        }
    }

    private void register(ChannelHandlerContext ctx, RegisterConnection r) {
        if (session.link() != null || registering) {
            LOG.info(() -> session + ": registered twice, closing");
            session.channel().close();
            return;
        }
        UUID tunnelId;
        try {
            tunnelId = UUID.fromString(r.getTunnelId());
        } catch (IllegalArgumentException e) {
            refuse(ctx, FailureKind.PERMANENT, "tunnel id is not a UUID");
            return;
        }
        if (r.getConnectorId().isEmpty() || r.getConnectorId().length() > 64 || r.getVersion().length() > 64) {
            refuse(ctx, FailureKind.PERMANENT, "connector id and version must be 1-64 characters");
            return;
        }
        if (refusedForNow(ctx)) {
            return;
        }
        registering = true;
        java.util.concurrent.CompletionStage<Optional<byte[]>> lookup;
        try {
            lookup = authority.secret(tunnelId, r.getAccountId());
        } catch (RuntimeException e) {
            lookup = java.util.concurrent.CompletableFuture.failedFuture(e);
        }
        // a tunnel this edge's snapshot lacks is looked up in the store on another thread: never block the event loop
        lookup.whenComplete((secret, error) -> {
            if (ctx.executor().inEventLoop()) {
                verifyOrClose(ctx, r, tunnelId, secret, error);
            } else {
                ctx.executor().execute(() -> verifyOrClose(ctx, r, tunnelId, secret, error));
            }
        });
    }

    /** Refuses the registration as retryable while the edge drains or holds as many links as it takes; true if so. */
    private boolean refusedForNow(ChannelHandlerContext ctx) {
        if (session.serverDraining()) {
            refuse(ctx, FailureKind.RETRYABLE, "edge is shutting down, try again");
            return true;
        }
        if (session.overLinkLimit()) {
            refuse(ctx, FailureKind.RETRYABLE, "edge is overloaded (link limit reached), try again later");
            return true;
        }
        return false;
    }

    /** verify, where a failure cannot reach the pipeline (it runs from the lookup's future): logged, the link closed. */
    private void verifyOrClose(ChannelHandlerContext ctx, RegisterConnection r, UUID tunnelId, Optional<byte[]> secret,
                               Throwable error) {
        try {
            verify(ctx, r, tunnelId, secret, error);
        } catch (RuntimeException | Error e) {
            LOG.log(java.util.logging.Level.WARNING, "registration for tunnel " + tunnelId + " failed", e);
            session.channel().close();
        }
    }

    private void verify(ChannelHandlerContext ctx, RegisterConnection r, UUID tunnelId, Optional<byte[]> secret,
                        Throwable error) {
        if (!session.channel().isActive()) {
            return;
        }
        if (error != null) {
            refuse(ctx, FailureKind.RETRYABLE, "the edge cannot read its directory now, try again");
            return;
        }
        if (refusedForNow(ctx)) {
            // checked again: the edge may have begun draining, or registrations that waited on the store all passed the
            // first check before any of them registered
            return;
        }
        if (secret.isEmpty()) {
            refuse(ctx, FailureKind.PERMANENT, "unknown tunnel " + tunnelId + " (deleted, or not in account "
                    + peer(r.getAccountId()) + ")");
            return;
        }
        if (!LinkProof.verify(secret.get(), challenge, r.getTunnelId(), r.getConnectorId(), r.getLinkIndex(),
                r.getSecretProof().toByteArray())) {
            refuse(ctx, FailureKind.PERMANENT, "invalid tunnel secret for tunnel " + tunnelId);
            return;
        }
        if (session.overTunnelLinkLimit(tunnelId)) {
            refuse(ctx, FailureKind.RETRYABLE, "tunnel " + tunnelId + " already holds " + session.config().maxLinksPerTunnel()
                    + " links on this edge, the most one tunnel may; try again later");
            return;
        }
        // a connector's links, balanced, would all run out at once: each retires at its own point of the last eighth;
        // the connector is asked for a new link in its place a 64th before (one that ignores that: drained at the end)
        long limit = session.config().streamsPerLink();
        long streams = limit - java.util.concurrent.ThreadLocalRandom.current().nextLong(limit / 8 + 1);
        long renewAt = streams - Math.max(1, streams / 64);
        EdgeLink link = new EdgeLink(session.channel(), tunnelId, r.getConnectorId(), r.getLinkIndex(), r.getVersion(),
                session.config().edgeId(), renewAt, n -> session.askReplacement("it opened " + n + " streams of the "
                        + streams + " it may before its HTTP/2 stream IDs run out"),
                streams, () -> session.drain("it opened " + streams
                        + " streams, its HTTP/2 stream IDs run out: a new link takes over"));
        if (!session.leaveUnregistered()) {
            return; // closed meanwhile, as the oldest of too many unregistered sockets
        }
        send(ctx.channel(), EdgeFrame.newBuilder().setResult(RegisterResult.newBuilder().setOk(true)
                .setEdgeId(session.config().edgeId())).build());
        session.registered(link);
        recheck(r.getAccountId(), tunnelId);
    }

    /**
     * The tunnel may have been deleted while its secret was looked up: the deletion's sweep of the router ran before
     * this link was in it. Looked up again now that it is (a deletion from here on finds it in the router), the link
     * closes if the tunnel is gone, and the connector's next registration is refused for good.
     */
    private void recheck(String accountId, UUID tunnelId) {
        java.util.concurrent.CompletionStage<Optional<byte[]>> again;
        try {
            again = authority.secret(tunnelId, accountId);
        } catch (RuntimeException e) {
            return; // the store cannot be read now: a later deletion still finds the link in the router
        }
        again.whenComplete((secret, error) -> {
            if (error == null && secret.isEmpty()) {
                LOG.info(() -> "tunnel " + tunnelId + " was deleted while a link registered: closing it");
                session.channel().close();
            }
        });
    }

    /**
     * A value the peer chose (before it proved anything), fit for a log line: control and formatting characters
     * escaped, and at most {@link #MAX_PEER_VALUE} characters, then "…". Else any TLS client could write 16 KB lines,
     * or lines of its own, into the edge's log.
     */
    static String peer(String s) {
        int end = s.length();
        boolean clipped = end > MAX_PEER_VALUE;
        if (clipped) {
            end = Character.isHighSurrogate(s.charAt(MAX_PEER_VALUE - 1)) ? MAX_PEER_VALUE - 1 : MAX_PEER_VALUE;
        }
        StringBuilder b = new StringBuilder(end + 8);
        for (int i = 0; i < end; i++) {
            char c = s.charAt(i);
            switch (c) {
                case '\n' -> b.append("\\n");
                case '\r' -> b.append("\\r");
                case '\t' -> b.append("\\t");
                default -> {
                    if (Character.isISOControl(c) || Character.getType(c) == Character.FORMAT) {
                        b.append(String.format("\\u%04X", (int) c));
                    } else {
                        b.append(c);
                    }
                }
            }
        }
        return clipped ? b.append('…').toString() : b.toString();
    }

    private void refuse(ChannelHandlerContext ctx, FailureKind kind, String message) {
        LOG.info(() -> "registration from " + session.channel().remoteAddress() + " refused (" + kind.name().toLowerCase()
                + "): " + message);
        EdgeFrame f = EdgeFrame.newBuilder().setResult(RegisterResult.newBuilder().setOk(false).setFailure(kind)
                .setMessage(message).setEdgeId(session.config().edgeId())).build();
        send(ctx.channel(), f).addListener((ChannelFutureListener) w -> session.channel().close());
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        decoder.close();
        session.channel().close();
        ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        LOG.fine(() -> session + ": control stream failed: " + cause);
        session.channel().close();
    }
}
