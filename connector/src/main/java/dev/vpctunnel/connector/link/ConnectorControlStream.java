package dev.vpctunnel.connector.link;

import com.google.protobuf.ByteString;
import dev.vpctunnel.core.link.DelimitedFrames;
import dev.vpctunnel.core.link.LinkHeaders;
import dev.vpctunnel.core.link.LinkProof;
import dev.vpctunnel.proto.ConnectorFrame;
import dev.vpctunnel.proto.EdgeFrame;
import dev.vpctunnel.proto.FailureKind;
import dev.vpctunnel.proto.RegisterConnection;
import dev.vpctunnel.proto.RegisterResult;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http2.DefaultHttp2DataFrame;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.DefaultHttp2HeadersFrame;
import io.netty.handler.codec.http2.Http2DataFrame;
import io.netty.handler.codec.http2.Http2HeadersFrame;
import io.netty.util.ReferenceCountUtil;

import java.io.IOException;
import java.util.logging.Logger;

/** The connector's end of the control stream: answers the challenge with its registration, reads results. */
final class ConnectorControlStream extends ChannelInboundHandlerAdapter {
    private static final Logger LOG = Logger.getLogger(ConnectorControlStream.class.getName());
    private final LinkSlot slot;
    private final DelimitedFrames<EdgeFrame> decoder =
            new DelimitedFrames<>(EdgeFrame.parser(), LinkHeaders.MAX_CONTROL_MESSAGE);
    private boolean answered;

    ConnectorControlStream(LinkSlot slot) {
        this.slot = slot;
    }

    static void send(Channel stream, ConnectorFrame frame) {
        stream.writeAndFlush(new DefaultHttp2DataFrame(DelimitedFrames.encode(stream.alloc(), frame)));
    }

    /** Tells the edge a link drains (it then opens no stream on it), if the control stream is up. */
    static void sendDrain(Channel stream, String reason) {
        if (stream != null && stream.isActive()) {
            send(stream, ConnectorFrame.newBuilder().setDrain(dev.vpctunnel.proto.Drain.newBuilder().setReason(reason)).build());
        }
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        try {
            if (msg instanceof Http2HeadersFrame h && !answered) {
                answered = true;
                CharSequence challenge = h.headers().get(LinkHeaders.CHALLENGE);
                if (challenge == null || challenge.length() > 256) {
                    LOG.warning(() -> slot + ": edge sent no valid challenge, closing");
                    ctx.channel().parent().close();
                    return;
                }
                register(ctx, challenge.toString());
            } else if (msg instanceof Http2DataFrame d) {
                for (EdgeFrame f : decoder.feed(d.content().retain())) {
                    handle(f);
                }
            }
        } catch (IOException e) {
            LOG.warning(() -> slot + ": bad control message from edge, closing: " + e.getMessage());
            ctx.channel().parent().close();
        } finally {
            ReferenceCountUtil.release(msg);
        }
        ctx.read();
    }

    private void register(ChannelHandlerContext ctx, String challenge) {
        LinkConfig c = slot.config();
        String tunnelId = c.token().tunnelId().toString();
        RegisterConnection r = RegisterConnection.newBuilder()
                .setTunnelId(tunnelId)
                .setAccountId(c.token().accountId())
                .setConnectorId(c.connectorId())
                .setLinkIndex(slot.index())
                .setVersion(c.version())
                .setSecretProof(ByteString.copyFrom(LinkProof.prove(c.token().secret(), challenge, tunnelId,
                        c.connectorId(), slot.index())))
                .build();
        slot.controlOpened(ctx.channel());
        ctx.write(new DefaultHttp2HeadersFrame(new DefaultHttp2Headers().status("200"), false));
        send(ctx.channel(), ConnectorFrame.newBuilder().setRegister(r).build());
    }

    private void handle(EdgeFrame f) {
        switch (f.getKindCase()) {
            case RESULT -> {
                RegisterResult r = f.getResult();
                if (r.getOk()) {
                    slot.registeredWith(r.getEdgeId());
                } else {
                    slot.refused(r.getFailure() == FailureKind.PERMANENT, r.getMessage(), r.getRetryAfterMs());
                }
            }
            case DRAIN -> slot.edgeDraining(f.getDrain().getReason());
            case REPLACE -> { // its stream IDs run out soon
                LOG.info(() -> slot + ": edge asks for a new link in its place (" + f.getReplace().getReason() + ")");
                slot.failback().renew();
            }
            default -> LOG.fine(() -> slot + ": ignoring unknown control message");
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        decoder.close();
        Channel parent = ctx.channel().parent();
        if (parent != null) {
            parent.close();
        }
        ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        LOG.fine(() -> slot + ": control stream error: " + cause);
        ctx.channel().parent().close();
    }
}
