package dev.vpctunnel.e2e;

import dev.vpctunnel.connector.link.LinkConfig;
import dev.vpctunnel.connector.link.LinkSupervisor;
import dev.vpctunnel.connector.origin.OriginConfig;
import dev.vpctunnel.connector.origin.OriginService;
import dev.vpctunnel.core.link.TunnelToken;
import dev.vpctunnel.core.net.Transports;
import dev.vpctunnel.core.tls.LinkTls;
import dev.vpctunnel.core.tls.Pki;
import dev.vpctunnel.edge.directory.BindingRecord;
import dev.vpctunnel.edge.directory.Directory;
import dev.vpctunnel.edge.directory.H2Store;
import dev.vpctunnel.edge.directory.ServiceRecord;
import dev.vpctunnel.edge.directory.ServiceSpec;
import dev.vpctunnel.edge.directory.TunnelRecord;
import dev.vpctunnel.edge.gateway.GatewayServer;
import dev.vpctunnel.edge.link.EdgeLinkConfig;
import dev.vpctunnel.edge.link.TunnelServer;
import dev.vpctunnel.edge.metrics.EdgeMetrics;
import io.netty.channel.EventLoopGroup;

import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/** A whole edge (directory, tunnel listener, gateway) and real connectors with the real origin side, in one JVM. */
final class GatewayFixture implements AutoCloseable {
    final Path dir;
    final Directory directory;
    final String account;
    final Pki.Issued ca = Pki.newCa("test edge CA", Duration.ofDays(1));
    final Pki.Issued cert = Pki.issue(ca, "edge", List.of("localhost", "127.0.0.1"), Duration.ofDays(1));
    final EventLoopGroup edgeGroup;
    final EventLoopGroup connectorGroup = Transports.group(2, "t-conn");
    final TunnelServer tunnels;
    final GatewayServer gateway;
    final EdgeMetrics metrics = new EdgeMetrics();
    final List<LinkSupervisor> connectors = new ArrayList<>();
    final List<OriginService> originServices = new ArrayList<>();

    GatewayFixture() throws Exception {
        this("", 2);
    }

    /** h2Options: appended to the embedded store's URL (";LOCK_TIMEOUT=…"); edgeThreads: the edge's event loops. */
    GatewayFixture(String h2Options, int edgeThreads) throws Exception {
        this(h2Options, edgeThreads, c -> c);
    }

    /** linkConfig: changes the tunnel listener's settings from the defaults. */
    GatewayFixture(String h2Options, int edgeThreads, java.util.function.UnaryOperator<EdgeLinkConfig> linkConfig) throws Exception {
        dir = Files.createTempDirectory("gw-test");
        edgeGroup = Transports.group(edgeThreads, "t-edge");
        directory = Directory.open(dir, H2Store.url(dir) + h2Options);
        account = directory.initialize().accountId();
        tunnels = new TunnelServer(linkConfig.apply(EdgeLinkConfig.defaults("edge-test", LinkTls.server(cert.key(),
                List.of(cert.certificate(), ca.certificate())))), directory::tunnelSecret, edgeGroup).bind(new InetSocketAddress("127.0.0.1", 0));
        directory.onChange(d -> tunnels.router().closeTunnelsNotIn(id -> d.tunnel(id).isPresent())); // as edge serve does
        gateway = GatewayServer.start(new InetSocketAddress("127.0.0.1", 0), edgeGroup, directory::snapshot, tunnels.router(),
                metrics, Duration.ofSeconds(2), Duration.ofSeconds(2));
    }

    TunnelRecord tunnel(String name) {
        return directory.createTunnel(account, name, null);
    }

    LinkSupervisor connect(TunnelRecord t, int links, List<String> deny) throws Exception {
        LinkSupervisor s = startConnector(t, links, deny);
        LinkHarness.await("links of " + t.name(), Duration.ofSeconds(20), () -> s.registeredLinks() == links
                && tunnels.router().links(t.id()).size() >= links);
        return s;
    }

    /** A connector for t (its id and secret; t need not exist in the directory), not waiting for its links. */
    LinkSupervisor startConnector(TunnelRecord t, int links, List<String> deny) throws Exception {
        return startConnector(t, links, deny, tunnels.port());
    }

    /** As above, dialing the edge's tunnel port at {@code edgePort} on loopback (a proxy in front of it). */
    LinkSupervisor startConnector(TunnelRecord t, int links, List<String> deny, int edgePort) throws Exception {
        OriginService origins = new OriginService(new OriginConfig(List.of(), List.of(), deny), connectorGroup);
        originServices.add(origins);
        LinkConfig cfg = new LinkConfig(new TunnelToken(account, t.id(), t.secret()),
                List.of(InetSocketAddress.createUnresolved("127.0.0.1", edgePort)),
                LinkTls.client(List.of(ca.certificate())), links, UUID.randomUUID().toString(), "test",
                Duration.ofSeconds(5), Duration.ofSeconds(15), Duration.ofSeconds(5), 10_000);
        LinkSupervisor s = new LinkSupervisor(cfg, connectorGroup, origins::newStreamHandler);
        connectors.add(s);
        s.start();
        return s;
    }

    ServiceRecord service(String name, Integer httpPort, Integer httpsPort, String ipv4, String hostname, UUID tunnel) {
        return directory.createService(account, new ServiceSpec(name, httpPort, httpsPort, ipv4, null, hostname, tunnel, List.of()));
    }

    String worker(String name, List<BindingRecord> bindings) {
        return directory.putWorker(account, name, bindings);
    }

    RawHttp.Response fetch(String token, String binding, String url, String extraHeaders, byte[] body) throws Exception {
        String head = (body == null ? "GET " : "POST ") + url + " HTTP/1.1\r\n"
                + (token == null ? "" : "Proxy-Authorization: Bearer " + token + "\r\n")
                + (binding == null ? "" : "cf-vpc-binding: " + binding + "\r\n")
                + (body == null ? "" : "Content-Length: " + body.length + "\r\n")
                + extraHeaders
                + "Connection: close\r\n\r\n";
        return RawHttp.send(gateway.port(), head, body);
    }

    Optional<LinkSupervisor> any() {
        return connectors.stream().findFirst();
    }

    @Override
    public void close() throws Exception {
        connectors.forEach(LinkSupervisor::stop);
        for (LinkSupervisor c : connectors) {
            c.awaitClosed(); // each link closes on the edge's ack of a last PING: before the loops stop, as in the connector
        }
        gateway.close();
        tunnels.close();
        originServices.forEach(OriginService::close);
        connectorGroup.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        edgeGroup.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        directory.close();
    }

    /** binding/code → "fetches N, durations M" where vpc_gateway_fetches_total and the duration histogram differ. */
    Map<String, String> countsDifferingFromDurations() {
        Map<String, Double> fetches = new TreeMap<>();
        Map<String, Long> durations = new TreeMap<>();
        for (var m : metrics.registry().scrape()) {
            if (m instanceof io.prometheus.metrics.model.snapshots.CounterSnapshot c
                    && c.getMetadata().getName().equals("vpc_gateway_fetches")) {
                c.getDataPoints().forEach(d -> fetches.put(d.getLabels().get("binding") + "/" + d.getLabels().get("code"),
                        d.getValue()));
            } else if (m instanceof io.prometheus.metrics.model.snapshots.HistogramSnapshot h
                    && h.getMetadata().getName().equals("vpc_gateway_fetch_duration_seconds")) {
                h.getDataPoints().forEach(d -> durations.put(d.getLabels().get("binding") + "/" + d.getLabels().get("code"),
                        d.getCount()));
            }
        }
        Map<String, String> differ = new TreeMap<>();
        java.util.Set<String> keys = new java.util.TreeSet<>(fetches.keySet());
        keys.addAll(durations.keySet());
        for (String k : keys) {
            long n = fetches.getOrDefault(k, 0.0).longValue();
            long d = durations.getOrDefault(k, 0L);
            if (d != n) {
                differ.put(k, "fetches " + n + ", durations " + d);
            }
        }
        return differ;
    }
}
