package dev.vpctunnel.e2e;

import dev.vpctunnel.connector.link.LinkConfig;
import dev.vpctunnel.connector.link.LinkSupervisor;
import dev.vpctunnel.core.link.TunnelToken;
import dev.vpctunnel.core.net.Transports;
import dev.vpctunnel.core.tls.LinkTls;
import dev.vpctunnel.core.tls.Pki;
import dev.vpctunnel.edge.link.EdgeLink;
import dev.vpctunnel.edge.link.EdgeLinkConfig;
import dev.vpctunnel.edge.link.TunnelServer;
import io.netty.channel.ChannelHandler;
import io.netty.channel.EventLoopGroup;

import java.net.InetSocketAddress;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/** A real edge tunnel listener on loopback and real connectors dialing it, in one JVM. */
final class LinkHarness implements AutoCloseable {
    static {
        dev.vpctunnel.core.log.Logs.configure(dev.vpctunnel.core.log.Logs.Format.TEXT, java.util.logging.Level.parse(System.getProperty("test.log", "INFO")));
    }
    static final String ACCOUNT = "0123456789abcdef0123456789abcdef";
    final Pki.Issued ca = Pki.newCa("test edge CA", Duration.ofDays(1));
    final Pki.Issued cert = Pki.issue(ca, "edge", List.of("localhost", "127.0.0.1"), Duration.ofDays(1));
    final Map<UUID, byte[]> secrets = new ConcurrentHashMap<>();
    final AtomicInteger registrationLookups = new AtomicInteger();
    final EventLoopGroup edgeGroup = Transports.group(2, "test-edge");
    final EventLoopGroup connectorGroup = Transports.group(2, "test-connector");
    final List<LinkSupervisor> connectors = new ArrayList<>();
    final TunnelServer edge;

    LinkHarness(Duration heartbeatInterval, Duration heartbeatTimeout) throws Exception {
        this(heartbeatInterval, heartbeatTimeout, EdgeLinkConfig.MAX_LINKS_PER_TUNNEL);
    }

    LinkHarness(Duration heartbeatInterval, Duration heartbeatTimeout, int maxLinksPerTunnel) throws Exception {
        EdgeLinkConfig cfg = EdgeLinkConfig.defaults("edge-test", LinkTls.server(cert.key(), List.of(cert.certificate(), ca.certificate())))
                .withHeartbeat(heartbeatInterval, heartbeatTimeout).withMaxLinksPerTunnel(maxLinksPerTunnel);
        edge = new TunnelServer(cfg, (id, account) -> {
            registrationLookups.incrementAndGet();
            return CompletableFuture.completedFuture(ACCOUNT.equals(account) ? Optional.ofNullable(secrets.get(id))
                    : Optional.empty());
        }, edgeGroup).bind(new InetSocketAddress("127.0.0.1", 0));
    }

    LinkHarness() throws Exception {
        this(Duration.ofSeconds(5), Duration.ofSeconds(15));
    }

    /** One more edge sharing this one's CA, certificate and tunnels (closed by the caller). */
    TunnelServer secondEdge() throws Exception {
        return secondEdge(0, authority());
    }

    /** {@link #secondEdge()} on a given loopback port (an edge coming back where it was), with its own directory. */
    TunnelServer secondEdge(int port, dev.vpctunnel.edge.link.TunnelAuthority authority) throws Exception {
        EdgeLinkConfig cfg = EdgeLinkConfig.defaults("edge-test-2", LinkTls.server(cert.key(), List.of(cert.certificate(), ca.certificate())));
        return new TunnelServer(cfg, authority, edgeGroup).bind(new InetSocketAddress("127.0.0.1", port));
    }

    /** {@link #secondEdge()} with other settings. */
    TunnelServer secondEdge(java.util.function.UnaryOperator<EdgeLinkConfig> adjust) throws Exception {
        EdgeLinkConfig cfg = EdgeLinkConfig.defaults("edge-test-2", LinkTls.server(cert.key(), List.of(cert.certificate(), ca.certificate())));
        return new TunnelServer(adjust.apply(cfg), authority(), edgeGroup).bind(new InetSocketAddress("127.0.0.1", 0));
    }

    /** The secrets this harness's edges know, as a directory an edge reads. */
    dev.vpctunnel.edge.link.TunnelAuthority authority() {
        return (id, account) -> CompletableFuture.completedFuture(ACCOUNT.equals(account)
                ? Optional.ofNullable(secrets.get(id)) : Optional.empty());
    }

    /** A loopback port nothing listens on, and no other test takes: connecting to it is refused until an edge binds it. */
    static int deadPort() {
        return dev.vpctunnel.core.testing.SparePorts.next();
    }

    TunnelToken newTunnel() {
        byte[] secret = new byte[32];
        new SecureRandom().nextBytes(secret);
        UUID id = UUID.randomUUID();
        secrets.put(id, secret);
        return new TunnelToken(ACCOUNT, id, secret);
    }

    LinkSupervisor connect(TunnelToken token, int links, int port, Duration hbInterval, Duration hbTimeout,
                           Supplier<ChannelHandler> handlers) throws Exception {
        return connect(token, links, List.of(port), hbInterval, hbTimeout, handlers);
    }

    /** A connector given several edges, as with --edge 127.0.0.1:P1,127.0.0.1:P2. */
    LinkSupervisor connect(TunnelToken token, int links, List<Integer> ports) throws Exception {
        return connect(token, links, ports, Duration.ofSeconds(5), Duration.ofSeconds(15), EchoFetchHandler::onStream);
    }

    LinkSupervisor connect(TunnelToken token, int links, List<Integer> ports, Duration hbInterval, Duration hbTimeout,
                           Supplier<ChannelHandler> handlers) throws Exception {
        return connect(token, links, ports, handlers, LinkConfig.FAILBACK_INTERVAL);
    }

    /** A connector given several edges whose links try their own edge again after {@code failback}. */
    LinkSupervisor connect(TunnelToken token, int links, List<Integer> ports, Supplier<ChannelHandler> handlers,
                           Duration failback) throws Exception {
        return connect(token, links, ports, Duration.ofSeconds(5), Duration.ofSeconds(15), handlers, failback);
    }

    private LinkSupervisor connect(TunnelToken token, int links, List<Integer> ports, Duration hbInterval, Duration hbTimeout,
                                   Supplier<ChannelHandler> handlers, Duration failback) throws Exception {
        List<InetSocketAddress> edges = ports.stream().map(p -> InetSocketAddress.createUnresolved("127.0.0.1", p)).toList();
        LinkConfig cfg = new LinkConfig(token, edges,
                LinkTls.client(List.of(ca.certificate())), links, UUID.randomUUID().toString(), "test",
                hbInterval, hbTimeout, Duration.ofSeconds(5), 10_000, failback);
        LinkSupervisor s = new LinkSupervisor(cfg, connectorGroup, handlers);
        connectors.add(s);
        s.start();
        return s;
    }

    LinkSupervisor connect(TunnelToken token, int links) throws Exception {
        return connect(token, links, edge.port(), Duration.ofSeconds(5), Duration.ofSeconds(15), EchoFetchHandler::onStream);
    }

    EdgeLink pick(UUID tunnel) {
        return edge.router().pick(tunnel, null).orElseThrow(() -> new AssertionError("no usable link for " + tunnel));
    }

    static void await(String what, Duration timeout, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out after " + timeout.toMillis() + " ms waiting for: " + what);
            }
            Thread.sleep(20);
        }
    }

    @Override
    public void close() {
        connectors.forEach(LinkSupervisor::stop);
        for (LinkSupervisor c : connectors) {
            try {
                c.awaitClosed(); // each link closes on the edge's ack of a last PING: before the loops stop
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        edge.close();
        connectorGroup.shutdownGracefully(50, 2000, java.util.concurrent.TimeUnit.MILLISECONDS).syncUninterruptibly();
        edgeGroup.shutdownGracefully(50, 2000, java.util.concurrent.TimeUnit.MILLISECONDS).syncUninterruptibly();
    }
}
