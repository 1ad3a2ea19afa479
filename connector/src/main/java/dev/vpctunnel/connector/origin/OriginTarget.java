package dev.vpctunnel.connector.origin;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.List;

/** A validated ConnectRequest: where one fetch goes. Either addresses or hostname is set. */
record OriginTarget(List<InetAddress> addresses, String hostname, int port, boolean https, String serverName,
                           List<InetSocketAddress> resolvers, int connectTimeoutMs, int tlsTimeoutMs, String requestId) {

    public String describe() {
        String host = hostname.isEmpty() ? addresses.get(0).getHostAddress() : hostname;
        return (https ? "https://" : "http://") + host + ":" + port;
    }
}
