package dev.vpctunnel.connector.link;

import dev.vpctunnel.core.link.TunnelToken;
import io.netty.handler.ssl.SslContext;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;

/** What the connector's links need: whom to dial, how to prove the tunnel, and the timings. */
public record LinkConfig(TunnelToken token, List<InetSocketAddress> edges, SslContext sslContext, int haConnections,
                         String connectorId, String version, Duration heartbeatInterval, Duration heartbeatTimeout,
                         Duration connectTimeout, int maxStreamsPerLink, Duration failbackInterval) {
    /**
     * How long a link registered away from its own edge (link i's is edge i mod n) waits before it tries that edge
     * again; each failed try doubles it, up to 10 s (see LinkFailback). Short, because a restarted edge answers
     * {@code no_connector} until links come back to it (edges do not pass fetches to each other), and a try costs one
     * connection attempt.
     */
    public static final Duration FAILBACK_INTERVAL = Duration.ofSeconds(1);

    public LinkConfig(TunnelToken token, List<InetSocketAddress> edges, SslContext sslContext, int haConnections,
                      String connectorId, String version, Duration heartbeatInterval, Duration heartbeatTimeout,
                      Duration connectTimeout, int maxStreamsPerLink) {
        this(token, edges, sslContext, haConnections, connectorId, version, heartbeatInterval, heartbeatTimeout,
                connectTimeout, maxStreamsPerLink, FAILBACK_INTERVAL);
    }

    public LinkConfig {
        if (edges.isEmpty()) {
            throw new IllegalArgumentException("--edge: at least one HOST:PORT is required");
        }
        if (haConnections < 1 || haConnections > 64) {
            throw new IllegalArgumentException("--ha-connections must be 1-64, got " + haConnections);
        }
    }

    /** What a refused connection to an edge usually means, for the log line that reports it; "" for other failures. */
    static String refusedHint(Throwable cause) {
        return cause instanceof java.net.ConnectException && String.valueOf(cause.getMessage()).contains("refused")
                ? " (nothing listens there: --edge takes the edge's --tunnel-listen address, port 7844 by default)" : "";
    }

    /** HOST:PORT as the operator wrote it (no resolution). */
    public static String hostPort(InetSocketAddress a) {
        String h = a.getHostString();
        return (h.indexOf(':') >= 0 ? "[" + h + "]" : h) + ":" + a.getPort();
    }

    /**
     * The edge link {@code index} dials first: links are spread round-robin over the edges given. A link whose
     * attempt fails moves on to the next edge in the list (see {@link #edgeAfter}).
     */
    public InetSocketAddress edgeFor(int index) {
        return edges.get(edgeIndexFor(index));
    }

    /** The position in {@link #edges} of {@link #edgeFor(int) edgeFor(index)}. */
    public int edgeIndexFor(int index) {
        return index % edges.size();
    }

    /** The position of the edge after the one at {@code edgeIndex}, wrapping around. */
    public int edgeAfter(int edgeIndex) {
        return (edgeIndex + 1) % edges.size();
    }
}
