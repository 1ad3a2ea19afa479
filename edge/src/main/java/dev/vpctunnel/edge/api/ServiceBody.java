package dev.vpctunnel.edge.api;

import dev.vpctunnel.core.net.Ipv4Text;
import dev.vpctunnel.edge.directory.Cidr;
import dev.vpctunnel.edge.directory.HostnameRoutes;
import dev.vpctunnel.edge.directory.ServiceSpec;
import tools.jackson.databind.JsonNode;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.UUID;

/** Validates a VPC service body (the seed's schema) into a ServiceSpec; every 400 names the field. */
final class ServiceBody {
    private static final Set<String> TOP = Set.of("type", "name", "http_port", "https_port", "host");
    private static final Set<String> HOST = Set.of("ipv4", "ipv6", "network", "hostname", "resolver_network");
    private static final int MAX_RESOLVERS = 16;

    private ServiceBody() {
    }

    static ServiceSpec parse(JsonNode n) {
        Json.onlyFields(n, "", TOP);
        String type = Json.optString(n, "", "type");
        if (type == null) {
            throw ApiException.invalid("type: is required (only \"http\" is supported)");
        }
        if (type.equals("tcp")) {
            throw ApiException.invalid("type: \"tcp\" is not supported yet; only \"http\" is");
        }
        if (!type.equals("http")) {
            throw ApiException.invalid("type: must be \"http\" (got \"" + type + "\")");
        }
        String name = Json.reqString(n, "", "name");
        Integer http = Json.optPort(n, "http_port");
        Integer https = Json.optPort(n, "https_port");
        if (http == null && https == null) {
            http = 80;
            https = 443;
        }
        JsonNode host = Json.optObject(n, "", "host");
        if (host == null) {
            throw ApiException.invalid("host: is required (ipv4/ipv6 with network, or hostname with resolver_network)");
        }
        Json.onlyFields(host, "host", HOST);
        if (Json.present(host, "hostname")) {
            return hostnameSpec(name, http, https, host);
        }
        return addressSpec(name, http, https, host);
    }

    private static ServiceSpec addressSpec(String name, Integer http, Integer https, JsonNode host) {
        if (Json.present(host, "resolver_network")) {
            throw ApiException.invalid("host.resolver_network: only allowed with host.hostname; use host.network with ipv4/ipv6");
        }
        String ipv4 = Json.optString(host, "host", "ipv4");
        String ipv6 = Json.optString(host, "host", "ipv6");
        if (ipv4 == null && ipv6 == null) {
            throw ApiException.invalid("host: one of ipv4, ipv6 (with network) or hostname (with resolver_network) is required");
        }
        for (String[] a : new String[][] {{"host.ipv4", ipv4}, {"host.ipv6", ipv6}}) {
            if (Ipv4Text.hasLeadingZeroOctet(a[1])) {
                throw ApiException.invalid(a[0] + ": " + Ipv4Text.leadingZero(a[1]));
            }
        }
        if (ipv4 != null && !Cidr.isIpv4(ipv4)) {
            throw ApiException.invalid("host.ipv4: '" + ipv4 + "' is not an IPv4 address");
        }
        if (ipv6 != null && !Cidr.isIpv6(ipv6)) {
            throw ApiException.invalid("host.ipv6: '" + ipv6 + "' is not an IPv6 address");
        }
        for (String[] a : new String[][] {{"host.ipv4", ipv4}, {"host.ipv6", ipv6}}) {
            if (a[1] != null && unspecified(a[1])) {
                throw ApiException.invalid(a[0] + ": '" + a[1] + "' is the unspecified address, not a destination (the"
                        + " connector never dials it); for a service on the connector's own host use 127.0.0.1 or ::1");
            }
        }
        JsonNode network = Json.optObject(host, "host", "network");
        if (network == null) {
            throw ApiException.invalid("host.network: is required with ipv4/ipv6 ({\"tunnel_id\": …})");
        }
        Json.onlyFields(network, "host.network", Set.of("tunnel_id"));
        UUID tunnel = Json.reqUuid(network, "host.network", "tunnel_id");
        return new ServiceSpec(name, http, https, ipv4, ipv6, null, tunnel, List.of());
    }

    /** 0.0.0.0, :: or ::ffff:0.0.0.0 (ip is a valid literal). */
    private static boolean unspecified(String ip) {
        try {
            return InetAddress.getByAddress(Cidr.parseIp(ip)).isAnyLocalAddress();
        } catch (UnknownHostException e) {
            return false;
        }
    }

    private static ServiceSpec hostnameSpec(String name, Integer http, Integer https, JsonNode host) {
        for (String f : List.of("ipv4", "ipv6", "network")) {
            if (Json.present(host, f)) {
                throw ApiException.invalid("host." + f + ": not allowed with host.hostname (give one or the other)");
            }
        }
        String hostname = Json.reqString(host, "host", "hostname");
        if (Ipv4Text.hasLeadingZeroOctet(hostname)) {
            throw ApiException.invalid("host.hostname: " + Ipv4Text.leadingZero(hostname));
        }
        // an absolute name ("db.internal.", no search domains) is a hostname too, as in hostname routes
        String relative = hostname.endsWith(".") ? hostname.substring(0, hostname.length() - 1) : hostname;
        if (!HostnameRoutes.isHostname(relative)) {
            throw ApiException.invalid("host.hostname: '" + hostname + "' is not a valid hostname"
                    + (Cidr.parseIp(hostname) != null ? " (use host.ipv4 or host.ipv6 for addresses)" : ""));
        }
        JsonNode rn = Json.optObject(host, "host", "resolver_network");
        if (rn == null) {
            throw ApiException.invalid("host.resolver_network: is required with hostname ({\"tunnel_id\": …})");
        }
        Json.onlyFields(rn, "host.resolver_network", Set.of("tunnel_id", "resolver_ips"));
        UUID tunnel = Json.reqUuid(rn, "host.resolver_network", "tunnel_id");
        List<String> resolvers = new ArrayList<>();
        JsonNode ips = rn.get("resolver_ips");
        if (ips != null && !ips.isNull()) {
            if (!ips.isArray()) {
                throw ApiException.invalid("host.resolver_network.resolver_ips: must be an array of IP addresses");
            }
            if (ips.size() > MAX_RESOLVERS) {
                throw ApiException.invalid("host.resolver_network.resolver_ips: at most " + MAX_RESOLVERS + " addresses");
            }
            for (int i = 0; i < ips.size(); i++) {
                JsonNode ip = ips.get(i);
                if (ip.isString() && Ipv4Text.hasLeadingZeroOctet(ip.stringValue())) {
                    throw ApiException.invalid("host.resolver_network.resolver_ips[" + i + "]: "
                            + Ipv4Text.leadingZero(ip.stringValue()));
                }
                if (!ip.isString() || Cidr.parseIp(ip.stringValue()) == null) {
                    throw ApiException.invalid("host.resolver_network.resolver_ips[" + i + "]: "
                            + Json.shown(ip) + " is not an IP address");
                }
                resolvers.add(ip.stringValue());
            }
        }
        return new ServiceSpec(name, http, https, null, null, hostname, tunnel, resolvers);
    }
}
