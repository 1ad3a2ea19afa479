package dev.vpctunnel.connector.origin;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.vpctunnel.core.link.LinkHeaders;
import dev.vpctunnel.proto.ConnectRequest;
import dev.vpctunnel.proto.ErrorCode;
import dev.vpctunnel.proto.Scheme;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.util.NetUtil;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/** Decodes and validates the cf-link-connect header into an {@link OriginTarget}. Failures are BAD_REQUEST. */
final class ConnectRequests {
    static final int DEFAULT_TIMEOUT_MS = 10_000;
    static final int MAX_TIMEOUT_MS = LinkHeaders.MAX_ORIGIN_TIMEOUT_MS;
    private static final int MAX_ADDRESSES = 16;
    private static final int MAX_HEADER_CHARS = 8192;

    private ConnectRequests() {
    }

    /** Validated destinations by their header value: every fetch to one destination sends the same value. */
    private static final int CACHE_SIZE = 4096;
    private static final Map<String, OriginTarget> CACHE = new ConcurrentHashMap<>();

    static OriginTarget fromHeaders(Http2Headers headers) {
        CharSequence connect = headers.get(LinkHeaders.CONNECT);
        CharSequence id = headers.get(LinkHeaders.REQUEST_ID);
        return fromValues(connect == null ? null : connect.toString(), id == null ? null : id.toString());
    }

    private static OriginTarget fromValues(String value, String id) {
        OriginTarget cached = value == null ? null : CACHE.get(value);
        if (cached != null) {
            return id == null ? cached : cached.withRequestId(id);
        }
        OriginTarget target = parse(value);
        if (CACHE.size() >= CACHE_SIZE) {
            CACHE.clear();
        }
        CACHE.put(value, target);
        return id == null ? target : target.withRequestId(id);
    }

    private static OriginTarget parse(String value) {
        if (value == null || value.isEmpty()) {
            throw bad("missing " + LinkHeaders.CONNECT + " header");
        }
        if (value.length() > MAX_HEADER_CHARS) {
            throw bad(LinkHeaders.CONNECT + " header is too large");
        }
        byte[] bytes;
        try {
            bytes = Base64.getDecoder().decode(value.trim());
        } catch (IllegalArgumentException e) {
            throw bad(LinkHeaders.CONNECT + " is not base64: " + e.getMessage());
        }
        try {
            return validate(ConnectRequest.parseFrom(bytes));
        } catch (InvalidProtocolBufferException e) {
            throw bad(LinkHeaders.CONNECT + " is not a ConnectRequest: " + e.getMessage());
        }
    }

    static OriginTarget validate(ConnectRequest r) {
        boolean https = switch (r.getScheme()) {
            case HTTP -> false;
            case HTTPS -> true;
            default -> throw bad("scheme must be HTTP or HTTPS, got " + r.getScheme());
        };
        if (r.getPort() < 1 || r.getPort() > 65535) {
            throw bad("port must be 1-65535, got " + r.getPort());
        }
        String hostname = r.getHostname().trim();
        List<InetAddress> addresses = new ArrayList<>();
        String bare = hostname.startsWith("[") && hostname.endsWith("]") ? hostname.substring(1, hostname.length() - 1) : hostname;
        if (NetUtil.isValidIpV4Address(bare) || NetUtil.isValidIpV6Address(bare)) {
            // An IP literal given as the hostname needs no DNS.
            addresses.add(literal(bare, "hostname"));
            hostname = "";
            if (r.getAddressesCount() > 0) {
                throw bad("exactly one of addresses and hostname must be set");
            }
        }
        if (r.getAddressesCount() > MAX_ADDRESSES) {
            throw bad("too many addresses (" + r.getAddressesCount() + ", at most " + MAX_ADDRESSES + ")");
        }
        for (String a : r.getAddressesList()) {
            addresses.add(literal(a, "address"));
        }
        if (addresses.isEmpty() == hostname.isEmpty()) {
            throw bad("exactly one of addresses and hostname must be set");
        }
        if (!hostname.isEmpty() && !validHostname(hostname)) {
            throw bad("invalid hostname '" + hostname + "'");
        }
        String serverName = r.getServerName().trim();
        if (serverName.isEmpty() && !r.getHostname().isBlank()) {
            serverName = r.getHostname().trim();
        }
        if (serverName.isEmpty()) {
            serverName = hostname.isEmpty() ? addresses.get(0).getHostAddress() : hostname;
        }
        if (serverName.startsWith("[") && serverName.endsWith("]")) {
            serverName = serverName.substring(1, serverName.length() - 1);
        }
        if (!NetUtil.isValidIpV4Address(serverName) && !NetUtil.isValidIpV6Address(serverName) && !validHostname(serverName)) {
            throw bad("invalid server_name '" + serverName + "'");
        }
        List<InetSocketAddress> resolvers = new ArrayList<>();
        for (String s : r.getResolverIpsList()) {
            resolvers.add(resolver(s));
        }
        return new OriginTarget(List.copyOf(addresses), hostname, r.getPort(), https, serverName, List.copyOf(resolvers),
                timeout(r.getConnectTimeoutMs()), timeout(r.getTlsTimeoutMs()), r.getRequestId());
    }

    private static int timeout(int ms) {
        return ms <= 0 ? DEFAULT_TIMEOUT_MS : Math.min(ms, MAX_TIMEOUT_MS);
    }

    /** IP, [v6], IP:port or [v6]:port; the port form exists for tests. */
    static InetSocketAddress resolver(String s) {
        String v = s.trim();
        int port = 53;
        String host = v;
        if (v.startsWith("[")) {
            int close = v.indexOf(']');
            if (close < 0) {
                throw bad("invalid resolver '" + s + "'");
            }
            host = v.substring(1, close);
            if (close + 1 < v.length()) {
                port = resolverPort(v.substring(close + 1), s);
            }
        } else if (v.indexOf(':') == v.lastIndexOf(':') && v.indexOf(':') > 0) {
            host = v.substring(0, v.indexOf(':'));
            port = resolverPort(v.substring(v.indexOf(':')), s);
        }
        return new InetSocketAddress(literal(host, "resolver"), port);
    }

    private static int resolverPort(String colonPort, String original) {
        if (!colonPort.startsWith(":")) {
            throw bad("invalid resolver '" + original + "'");
        }
        try {
            int p = Integer.parseInt(colonPort.substring(1));
            if (p >= 1 && p <= 65535) {
                return p;
            }
        } catch (NumberFormatException ignored) {
            // reported below
        }
        throw bad("invalid resolver port in '" + original + "'");
    }

    private static InetAddress literal(String s, String what) {
        String v = s.trim();
        if (v.startsWith("[") && v.endsWith("]")) {
            v = v.substring(1, v.length() - 1);
        }
        byte[] bytes = NetUtil.createByteArrayFromIpAddressString(v);
        if (bytes == null) {
            throw bad("invalid " + what + " '" + s + "': not an IP literal");
        }
        try {
            return InetAddress.getByAddress(bytes);
        } catch (java.net.UnknownHostException e) {
            throw bad("invalid " + what + " '" + s + "'");
        }
    }

    static boolean validHostname(String h) {
        String v = h.endsWith(".") ? h.substring(0, h.length() - 1) : h;
        if (v.isEmpty() || v.length() > 253) {
            return false;
        }
        for (String label : v.split("\\.", -1)) {
            if (label.isEmpty() || label.length() > 63 || label.startsWith("-") || label.endsWith("-")) {
                return false;
            }
            for (int i = 0; i < label.length(); i++) {
                char c = label.charAt(i);
                if (!(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_')) {
                    return false;
                }
            }
        }
        return true;
    }

    private static FetchFailure bad(String message) {
        return new FetchFailure(ErrorCode.BAD_REQUEST, message);
    }
}
