package dev.vpctunnel.edge.link;

import io.netty.handler.ssl.SslContext;

import java.time.Duration;

/**
 * Settings of the edge's tunnel listener. {@code maxLinks}: links this edge holds in all; {@code maxLinksPerTunnel}:
 * links one tunnel may hold on it, so one tunnel's token (a leaked one, a connector restarting in a loop) cannot
 * take every link slot from the other tunnels. Both are checked before a link is added: registrations racing each
 * other may pass them by a few.
 */
public record EdgeLinkConfig(String edgeId, SslContext sslContext, Duration heartbeatInterval, Duration heartbeatTimeout,
                             Duration handshakeTimeout, Duration registrationTimeout, int maxLinks, int maxLinksPerTunnel) {
    /** Cloudflare's 25 active connectors per tunnel, each with up to 64 links (--ha-connections' maximum). */
    public static final int MAX_LINKS_PER_TUNNEL = 25 * 64;

    public static EdgeLinkConfig defaults(String edgeId, SslContext ssl) {
        return new EdgeLinkConfig(edgeId, ssl, Duration.ofSeconds(5), Duration.ofSeconds(15), Duration.ofSeconds(10),
                Duration.ofSeconds(15), 10_000, MAX_LINKS_PER_TUNNEL);
    }

    public EdgeLinkConfig withHeartbeat(Duration interval, Duration timeout) {
        return new EdgeLinkConfig(edgeId, sslContext, interval, timeout, handshakeTimeout, registrationTimeout, maxLinks,
                maxLinksPerTunnel);
    }

    public EdgeLinkConfig withMaxLinksPerTunnel(int max) {
        return new EdgeLinkConfig(edgeId, sslContext, heartbeatInterval, heartbeatTimeout, handshakeTimeout,
                registrationTimeout, maxLinks, max);
    }
}
