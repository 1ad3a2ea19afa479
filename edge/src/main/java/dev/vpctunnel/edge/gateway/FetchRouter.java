package dev.vpctunnel.edge.gateway;

import dev.vpctunnel.edge.directory.BindingRecord;
import dev.vpctunnel.edge.directory.DirectorySnapshot;
import dev.vpctunnel.edge.directory.NetworkBinding;
import dev.vpctunnel.edge.directory.ServiceBinding;
import dev.vpctunnel.edge.directory.ServiceRecord;
import dev.vpctunnel.edge.directory.WorkerRecord;
import dev.vpctunnel.proto.ConnectRequest;
import dev.vpctunnel.proto.Scheme;
import io.netty.util.NetUtil;

import java.net.InetAddress;
import java.util.Optional;
import java.util.UUID;

/**
 * The routing rules of the seeds: where one fetch through one binding goes. A VPC Service binding always goes to the
 * service's host and port for the scheme (the URL only gives Host and SNI); a VPC Network binding goes where the URL
 * says, through the bound tunnel or, on cf1:network, the tunnel of the most specific route.
 */
final class FetchRouter {
    /** Where to send a fetch: the tunnel, what the connector dials, and the Host header. */
    record Route(UUID tunnelId, ConnectRequest connect, String hostHeader, String requestId) {
    }

    private final int connectTimeoutMs;
    private final int tlsTimeoutMs;

    FetchRouter(int connectTimeoutMs, int tlsTimeoutMs) {
        this.connectTimeoutMs = connectTimeoutMs;
        this.tlsTimeoutMs = tlsTimeoutMs;
    }

    Route route(DirectorySnapshot dir, WorkerRecord worker, BindingRecord binding, FetchUrl url, String requestId)
            throws FetchException {
        if (binding instanceof ServiceBinding sb) {
            return serviceRoute(dir, worker, sb, url, requestId);
        }
        return networkRoute(dir, worker, (NetworkBinding) binding, url, requestId);
    }

    private Route serviceRoute(DirectorySnapshot dir, WorkerRecord worker, ServiceBinding sb, FetchUrl url, String requestId)
            throws FetchException {
        ServiceRecord s = dir.service(sb.serviceId()).filter(x -> x.accountId().equals(worker.accountId()))
                .orElseThrow(() -> new FetchException(FetchError.Code.BINDING_NOT_FOUND,
                        "binding " + sb.name() + " points at VPC service " + sb.serviceId() + ", which no longer exists"));
        boolean https = "https".equals(url.scheme());
        Integer port = https ? s.httpsPort() : s.httpPort();
        if (port == null) {
            throw new FetchException(FetchError.Code.SCHEME_NOT_ALLOWED, "VPC service " + s.name() + " allows only "
                    + (https ? "http" : "https") + "; " + url.scheme() + " is not configured");
        }
        ConnectRequest.Builder c = base(url).setPort(port);
        if (s.hostname() != null) {
            c.setHostname(s.hostname()).addAllResolverIps(s.resolverIps());
        } else {
            if (s.ipv4() != null) {
                c.addAddresses(s.ipv4());
            }
            if (s.ipv6() != null) {
                c.addAddresses(s.ipv6());
            }
        }
        // The URL's host (never its port) becomes Host and SNI: it cannot move the request anywhere else.
        String host = url.host().indexOf(':') >= 0 ? "[" + url.host() + "]" : url.host();
        return new Route(s.tunnelId(), c.build(), host, requestId);
    }

    private Route networkRoute(DirectorySnapshot dir, WorkerRecord worker, NetworkBinding nb, FetchUrl url, String requestId)
            throws FetchException {
        ConnectRequest.Builder c = base(url).setPort(url.portOrDefault());
        InetAddress literal = NetUtil.createInetAddressFromIpAddressString(url.host());
        UUID tunnel = nb.tunnelId();
        if (tunnel != null && dir.tunnel(tunnel).filter(t -> t.accountId().equals(worker.accountId())).isEmpty()) {
            throw new FetchException(FetchError.Code.BINDING_NOT_FOUND,
                    "binding " + nb.name() + " points at tunnel " + tunnel + ", which no longer exists");
        }
        if (literal != null) {
            c.addAddresses(url.host());
            if (tunnel == null) {
                tunnel = dir.routeTunnel(worker.accountId(), literal).orElseThrow(() -> new FetchException(
                        FetchError.Code.NO_ROUTE, "no route in cf1:network holds " + url.host()));
            }
        } else {
            c.setHostname(url.host());
            if (tunnel == null) {
                Optional<UUID> t = dir.hostnameRouteTunnel(worker.accountId(), url.host());
                tunnel = t.orElseThrow(() -> new FetchException(FetchError.Code.NO_ROUTE,
                        "no hostname route in cf1:network matches " + url.host()));
            }
        }
        return new Route(tunnel, c.build(), url.authority(), requestId);
    }

    private ConnectRequest.Builder base(FetchUrl url) {
        return ConnectRequest.newBuilder()
                .setScheme("https".equals(url.scheme()) ? Scheme.HTTPS : Scheme.HTTP)
                .setServerName(url.host())
                .setConnectTimeoutMs(connectTimeoutMs)
                .setTlsTimeoutMs(tlsTimeoutMs); // the id travels in its own header (LinkHeaders.REQUEST_ID)
    }
}
