package dev.vpctunnel.connector.origin;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.List;

/** A validated ConnectRequest: where one fetch goes. Either addresses or hostname is set. */
record OriginTarget(List<InetAddress> addresses, String hostname, int port, boolean https, String serverName,
                           List<InetSocketAddress> resolvers, int connectTimeoutMs, int tlsTimeoutMs, String requestId) {

    /** The same destination for another fetch (cf-link-request-id). */
    OriginTarget withRequestId(String id) {
        return new OriginTarget(addresses, hostname, port, https, serverName, resolvers, connectTimeoutMs, tlsTimeoutMs,
                id.length() > 64 ? id.substring(0, 64) : id);
    }

    public String describe() {
        String host = hostname.isEmpty() ? addresses.get(0).getHostAddress() : hostname;
        return (https ? "https://" : "http://") + host + ":" + port;
    }
}
