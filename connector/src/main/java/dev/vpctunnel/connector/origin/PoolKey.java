package dev.vpctunnel.connector.origin;

import java.net.InetAddress;

/** What makes an origin connection reusable for another fetch. */
record PoolKey(InetAddress address, int port, boolean https, String serverName) {
}
