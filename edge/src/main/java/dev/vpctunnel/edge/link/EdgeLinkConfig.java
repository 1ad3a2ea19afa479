package dev.vpctunnel.edge.link;

import io.netty.handler.ssl.SslContext;

import java.time.Duration;

/**
 * Settings of the edge's tunnel listener. {@code maxLinks}: links this edge holds in all; {@code maxLinksPerTunnel}:
 * links one tunnel may hold on it, so one tunnel's token (a leaked one, a connector restarting in a loop) cannot
 * take every link slot from the other tunnels. Both are checked before a link is added: registrations racing each
 * other may pass them by a few. {@code streamsPerLink}: fetch streams one link opens before this edge asks its connector
 * to replace it (HTTP/2 stream IDs are 31 bits and never reused: an edge, the client, has 2^30 per connection).
 * {@code maxUnregistered}, {@code maxUnregisteredPerSource}: accepted sockets that have not registered yet (TLS, then
 * the registration) this edge holds at once, in all and from one address ({@link UnregisteredSockets}).
 */
public record EdgeLinkConfig(String edgeId, SslContext sslContext, Duration heartbeatInterval, Duration heartbeatTimeout,
                             Duration handshakeTimeout, Duration registrationTimeout, int maxLinks, int maxLinksPerTunnel,
                             long streamsPerLink, int maxUnregistered, int maxUnregisteredPerSource) {
    /** Cloudflare's 25 active connectors per tunnel, each with up to 64 links (--ha-connections' maximum). */
    public static final int MAX_LINKS_PER_TUNNEL = 25 * 64;
    /** All of a link's stream IDs but a margin for the fetches that open streams while the link drains. */
    public static final long STREAMS_PER_LINK = (1L << 30) - (1L << 20);
    /** Each such socket may hold a header block of up to 240 KiB before it registers: 120 MiB at most. */
    public static final int MAX_UNREGISTERED = 512;
    /** Two connectors with --ha-connections 64 behind one NAT dialing at once; registrations take a few round trips. */
    public static final int MAX_UNREGISTERED_PER_SOURCE = 128;

    public static EdgeLinkConfig defaults(String edgeId, SslContext ssl) {
        return new EdgeLinkConfig(edgeId, ssl, Duration.ofSeconds(5), Duration.ofSeconds(15), Duration.ofSeconds(10),
                Duration.ofSeconds(15), 10_000, MAX_LINKS_PER_TUNNEL, STREAMS_PER_LINK, MAX_UNREGISTERED,
                MAX_UNREGISTERED_PER_SOURCE);
    }

    public EdgeLinkConfig withHeartbeat(Duration interval, Duration timeout) {
        return new EdgeLinkConfig(edgeId, sslContext, interval, timeout, handshakeTimeout, registrationTimeout, maxLinks,
                maxLinksPerTunnel, streamsPerLink, maxUnregistered, maxUnregisteredPerSource);
    }

    public EdgeLinkConfig withMaxLinksPerTunnel(int max) {
        return new EdgeLinkConfig(edgeId, sslContext, heartbeatInterval, heartbeatTimeout, handshakeTimeout,
                registrationTimeout, maxLinks, max, streamsPerLink, maxUnregistered, maxUnregisteredPerSource);
    }

    public EdgeLinkConfig withStreamsPerLink(long n) {
        return new EdgeLinkConfig(edgeId, sslContext, heartbeatInterval, heartbeatTimeout, handshakeTimeout,
                registrationTimeout, maxLinks, maxLinksPerTunnel, n, maxUnregistered, maxUnregisteredPerSource);
    }

    public EdgeLinkConfig withMaxUnregistered(int n, int perSource) {
        return new EdgeLinkConfig(edgeId, sslContext, heartbeatInterval, heartbeatTimeout, handshakeTimeout,
                registrationTimeout, maxLinks, maxLinksPerTunnel, streamsPerLink, n, perSource);
    }
}
