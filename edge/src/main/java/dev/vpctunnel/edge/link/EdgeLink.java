package dev.vpctunnel.edge.link;

import dev.vpctunnel.edge.routing.LinkInfo;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelOption;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.handler.codec.http2.Http2StreamChannelBootstrap;
import io.netty.util.concurrent.Future;

import java.time.Instant;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/** One registered link of a tunnel: where the edge opens fetch streams. */
public final class EdgeLink {
    private final Channel channel;
    private final UUID tunnelId;
    private final String connectorId;
    private final int linkIndex;
    private final String version;
    private final String edgeId;
    private final Instant openedAt = Instant.now();
    private final AtomicInteger openStreams = new AtomicInteger();
    private final AtomicLong streamsOpened = new AtomicLong();
    private final long renewAt;
    private final long renewEvery;
    private final java.util.function.LongConsumer renew;
    private final long retireAfter;
    private final Runnable retire;
    private final AtomicBoolean retiring = new AtomicBoolean();
    private volatile boolean draining;
    private volatile boolean peerDraining;

    /**
     * Once the {@code retireAfter}th stream is opened (the link's stream IDs run out) the link takes no more, and
     * {@code retire} runs when its last stream closed: asked earlier, the connector would refuse streams already opened.
     */
    EdgeLink(Channel channel, UUID tunnelId, String connectorId, int linkIndex, String version, String edgeId,
             long retireAfter, Runnable retire) {
        this(channel, tunnelId, connectorId, linkIndex, version, edgeId, Long.MAX_VALUE, n -> { }, retireAfter, retire);
    }

    /**
     * Also: once the {@code renewAt}th stream is opened, {@code renew} gets that count, on the thread that opened it
     * (the edge asks the connector for a new link in this one's place before the stream IDs run out), and again up to
     * seven times on the way to {@code retireAfter}, should the connector's first try have failed.
     */
    EdgeLink(Channel channel, UUID tunnelId, String connectorId, int linkIndex, String version, String edgeId,
             long renewAt, java.util.function.LongConsumer renew, long retireAfter, Runnable retire) {
        this.channel = channel;
        this.renewAt = renewAt;
        this.renewEvery = Math.max(1, (retireAfter - renewAt) / 8);
        this.renew = renew;
        this.retireAfter = retireAfter;
        this.retire = retire;
        this.tunnelId = tunnelId;
        this.connectorId = connectorId;
        this.linkIndex = linkIndex;
        this.version = version;
        this.edgeId = edgeId;
    }

    /**
     * Opens a fetch stream with {@code handler} as its pipeline (AUTO_READ off). The open-stream count covers the
     * stream until its channel closes. Fails when the link is closing or the peer refuses more streams.
     * AUTO_CLOSE off: a write that fails because the connector ended the stream (RST_STREAM(NO_ERROR) after a complete
     * response, while the request body was still going up) must not close the channel and drop the end of that
     * response still queued in it; the stream's channel closes once the stream is closed and what it holds was read.
     */
    public Future<Http2StreamChannel> openStream(ChannelHandler handler) {
        openStreams.incrementAndGet();
        long n = streamsOpened.incrementAndGet();
        long k = n - renewAt;
        if (k >= 0 && n < retireAfter && k % renewEvery == 0 && k / renewEvery < 8) {
            renew.accept(n);
        }
        if (n == retireAfter) {
            draining = true;
        }
        Future<Http2StreamChannel> opened = new Http2StreamChannelBootstrap(channel).option(ChannelOption.AUTO_READ, false)
                .option(ChannelOption.AUTO_CLOSE, false).handler(handler).open();
        opened.addListener((Future<Http2StreamChannel> f) -> {
            if (f.isSuccess()) {
                f.getNow().closeFuture().addListener(c -> streamClosed());
            } else {
                streamClosed();
            }
        });
        return opened;
    }

    private void streamClosed() {
        if (openStreams.decrementAndGet() == 0 && streamsOpened.get() >= retireAfter && retiring.compareAndSet(false, true)) {
            retire.run();
        }
    }

    public boolean usable() {
        return !draining && channel.isActive();
    }

    void markDraining() {
        draining = true;
    }

    /** The connector said this link drains: it takes no stream from now on (it would refuse one). Link loop only. */
    void markPeerDraining() {
        peerDraining = true;
        draining = true;
    }

    /** Whether the connector said it drains this link (not this edge's own drain, during which streams still go). */
    public boolean peerDraining() {
        return peerDraining;
    }

    public boolean draining() {
        return draining;
    }

    public int openStreams() {
        return openStreams.get();
    }

    public UUID tunnelId() {
        return tunnelId;
    }

    public String connectorId() {
        return connectorId;
    }

    public int linkIndex() {
        return linkIndex;
    }

    public Channel channel() {
        return channel;
    }

    public LinkInfo info() {
        return new LinkInfo(tunnelId, connectorId, linkIndex, edgeId, openedAt, version,
                remote(), openStreams.get(), draining);
    }

    private String remote() {
        if (channel.remoteAddress() instanceof java.net.InetSocketAddress a) {
            String ip = a.getAddress() != null ? a.getAddress().getHostAddress() : a.getHostString();
            return (ip.indexOf(':') >= 0 ? "[" + ip + "]" : ip) + ":" + a.getPort();
        }
        return String.valueOf(channel.remoteAddress());
    }

    @Override
    public String toString() {
        return "link " + connectorId + "#" + linkIndex + " of tunnel " + tunnelId;
    }
}
