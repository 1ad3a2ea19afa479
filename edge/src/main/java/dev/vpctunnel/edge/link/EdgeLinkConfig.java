package dev.vpctunnel.edge.link;

import io.netty.handler.ssl.SslContext;

import java.time.Duration;

/** Settings of the edge's tunnel listener. */
public record EdgeLinkConfig(String edgeId, SslContext sslContext, Duration heartbeatInterval, Duration heartbeatTimeout,
                             Duration handshakeTimeout, Duration registrationTimeout, int maxLinks) {
    public static EdgeLinkConfig defaults(String edgeId, SslContext ssl) {
        return new EdgeLinkConfig(edgeId, ssl, Duration.ofSeconds(5), Duration.ofSeconds(15), Duration.ofSeconds(10),
                Duration.ofSeconds(15), 10_000);
    }

    public EdgeLinkConfig withHeartbeat(Duration interval, Duration timeout) {
        return new EdgeLinkConfig(edgeId, sslContext, interval, timeout, handshakeTimeout, registrationTimeout, maxLinks);
    }
}
