package dev.vpctunnel.connector.link;

import dev.vpctunnel.core.link.TunnelToken;
import dev.vpctunnel.core.net.Transports;
import dev.vpctunnel.core.testing.LogCapture;
import dev.vpctunnel.core.tls.LinkTls;
import dev.vpctunnel.core.tls.Pki;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.resolver.AddressResolver;
import io.netty.resolver.AddressResolverGroup;
import io.netty.resolver.InetNameResolver;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.Promise;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.Level;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** An edge given by a name with several addresses: links spread over them, and a dead one holds no link down. */
class EdgeAddressesTest {
    private static final Pki.Issued CA = Pki.newCa("edge CA", Duration.ofDays(1));
    private final EventLoopGroup group = Transports.group(1, "test-addresses");
    private final List<Channel> listeners = new ArrayList<>();
    private final List<LinkSupervisor> connectors = new ArrayList<>();

    @AfterEach
    void tearDown() throws Exception {
        connectors.forEach(LinkSupervisor::stop);
        for (Channel l : listeners) {
            l.close().sync();
        }
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    /** A listener on ip:port that holds what it accepts (the handshake then waits) and counts it. */
    private AtomicInteger listener(String ip, int port) throws InterruptedException {
        AtomicInteger accepted = new AtomicInteger();
        listeners.add(new ServerBootstrap().group(group).channel(Transports.server())
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        accepted.incrementAndGet();
                    }
                }).bind(new InetSocketAddress(ip, port)).sync().channel());
        return accepted;
    }

    /** The port of the listener made last. */
    private int lastPort() {
        return ((InetSocketAddress) listeners.get(listeners.size() - 1).localAddress()).getPort();
    }

    /** Threads the fake resolvers looked names up on. */
    private final List<String> lookedUpOn = new CopyOnWriteArrayList<>();

    /** A resolver that answers "edges.test" with {@code ips}, in that order, as a name with several A records does. */
    private AddressResolverGroup<InetSocketAddress> edgesTest(String... ips) {
        return names(Map.of("edges.test", List.of(ips)));
    }

    /** A resolver that answers each name with its addresses, in that order. */
    private AddressResolverGroup<InetSocketAddress> names(Map<String, List<String>> names) {
        return new AddressResolverGroup<>() {
            @Override
            protected AddressResolver<InetSocketAddress> newResolver(EventExecutor executor) {
                return new InetNameResolver(executor) {
                    @Override
                    protected void doResolve(String host, Promise<InetAddress> promise) throws Exception {
                        promise.setFailure(new UnsupportedOperationException("links look up every address"));
                    }

                    @Override
                    protected void doResolveAll(String host, Promise<List<InetAddress>> promise) throws Exception {
                        lookedUpOn.add(Thread.currentThread().getName());
                        if (!names.containsKey(host)) {
                            promise.setFailure(new UnknownHostException(host));
                            return;
                        }
                        List<InetAddress> all = new ArrayList<>();
                        for (String ip : names.get(host)) {
                            all.add(InetAddress.getByName(ip));
                        }
                        promise.setSuccess(all);
                    }
                }.asAddressResolver();
            }
        };
    }

    private LinkSupervisor connector(int links, int port, AddressResolverGroup<InetSocketAddress> resolver) throws Exception {
        return connector(links, List.of(InetSocketAddress.createUnresolved("edges.test", port)), resolver);
    }

    private LinkSupervisor connector(int links, List<InetSocketAddress> edges, AddressResolverGroup<InetSocketAddress> resolver)
            throws Exception {
        LinkConfig cfg = new LinkConfig(new TunnelToken("0123456789abcdef0123456789abcdef", UUID.randomUUID(), new byte[32]),
                edges, LinkTls.client(List.of(CA.certificate())),
                links, "test-connector", "test", Duration.ofSeconds(5), Duration.ofSeconds(15), Duration.ofSeconds(5), 100);
        LinkSupervisor s = new LinkSupervisor(cfg, group, ChannelInboundHandlerAdapter::new, resolver);
        connectors.add(s);
        s.start();
        return s;
    }

    /**
     * A renewal (the edge asks for a new link in this one's place) dials the very address the link it replaces dialed,
     * not the name's next one: edges behind one name do not pass fetches to each other. Its failure moves no turn of the
     * slot's (the old link is still there); once it registered (it is the slot now) it dials by turns again, so a dead
     * edge address does not hold it. A failback probe goes by turns.
     */
    @Test
    void aRenewalDialsTheAddressOfTheLinkItReplaces() throws Exception {
        int port = 7844;
        LinkConfig cfg = new LinkConfig(new TunnelToken("0123456789abcdef0123456789abcdef", UUID.randomUUID(), new byte[32]),
                List.of(InetSocketAddress.createUnresolved("edges.test", port)), LinkTls.client(List.of(CA.certificate())),
                1, "test-connector", "test", Duration.ofSeconds(5), Duration.ofSeconds(15), Duration.ofSeconds(5), 100);
        EdgeAddresses addresses = new EdgeAddresses(edgesTest("127.0.0.1", "127.0.0.2"), group.next(), cfg.edges(), 1);
        EdgeCursor cursor = new EdgeCursor(cfg, 0, addresses);
        InetSocketAddress one = new InetSocketAddress("127.0.0.1", port);
        InetSocketAddress two = new InetSocketAddress("127.0.0.2", port);
        assertEquals(one, cursor.pick(group.next()).get(5, TimeUnit.SECONDS));
        cursor.dialing(one);
        EdgeCursor failed = cursor.forProbe(true);
        assertEquals(one, failed.pick(group.next()).get(5, TimeUnit.SECONDS));
        failed.failedHere();
        assertEquals(one, cursor.pick(group.next()).get(5, TimeUnit.SECONDS), "a failed renewal moves no turn of the slot's");
        cursor.failedHere(); // an attempt of the slot's own: its next turn is the name's second address
        EdgeCursor renewed = cursor.forProbe(true);
        assertEquals(one, renewed.pick(group.next()).get(5, TimeUnit.SECONDS), "pinned to the old link's address");
        assertEquals(two, cursor.forProbe(false).pick(group.next()).get(5, TimeUnit.SECONDS), "a failback probe: by turns");
        renewed.registered(); // it took the slot's place
        assertEquals(two, renewed.pick(group.next()).get(5, TimeUnit.SECONDS), "the slot now: by turns again");
    }

    @Test
    void linksToOneNameSpreadOverItsAddresses() throws Exception {
        AtomicInteger first = listener("127.0.0.1", 0);
        int port = lastPort();
        AtomicInteger second = listener("127.0.0.2", port);
        connector(2, port, edgesTest("127.0.0.1", "127.0.0.2"));
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(4); // under the 5 s handshake timeout: one attempt each
        while ((first.get() < 1 || second.get() < 1) && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        Thread.sleep(200);
        assertEquals(List.of(1, 1), List.of(first.get(), second.get()), "link #0 dials the first address, link #1 the second");
        assertTrue(!lookedUpOn.isEmpty() && lookedUpOn.stream().allMatch(t -> t.startsWith("edge-resolver")),
                "looked up on the resolver's thread, never on an event loop: " + lookedUpOn);
    }

    /**
     * Each edge keeps its own turn: with a.test = {dead, live} and b.test = {dead, dead}, one link gets to a.test's live
     * address (a turn shared by both names took link #0 to a.test's first and b.test's second address only, for ever).
     */
    @Test
    void eachEdgeNameHasItsOwnTurn() throws Exception {
        AtomicInteger live = listener("127.0.0.1", 0);
        int port = lastPort();
        connector(1, List.of(InetSocketAddress.createUnresolved("a.test", port), InetSocketAddress.createUnresolved("b.test", port)),
                names(Map.of("a.test", List.of("127.0.0.5", "127.0.0.1"), "b.test", List.of("127.0.0.6", "127.0.0.7"))));
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10); // attempts 1-3 within the backoff's 0-3 s
        while (live.get() < 1) {
            assertTrue(System.nanoTime() < deadline, "a.test's live address was never dialed");
            Thread.sleep(20);
        }
    }

    @Test
    void anAddressWhereNoEdgeListensDoesNotHoldTheLinkDown() throws Exception {
        AtomicInteger live = listener("127.0.0.1", 0);
        int port = lastPort();
        try (LogCapture warnings = LogCapture.of(LinkSlot.class, Level.WARNING)) {
            // 127.0.0.5 is loopback too, and nothing listens there: refused at once
            connector(1, port, edgesTest("127.0.0.5", "127.0.0.1"));
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(8);
            while (live.get() < 1) {
                assertTrue(System.nanoTime() < deadline, "the live address was never dialed");
                Thread.sleep(20);
            }
            String refused = "link #0: cannot reach edge edges.test:" + port + " (127.0.0.5): Connection refused"
                    + " (nothing listens there: --edge takes the edge's --tunnel-listen address, port 7844 by default); retrying in ";
            assertTrue(warnings.messages().stream().anyMatch(m -> m.startsWith(refused) && m.endsWith(" (backoff up to 1s)")),
                    warnings.messages().toString());
        }
    }

    /**
     * A name with more addresses than links aimed at it: some edge behind it gets no link, and the log says so, once
     * (each link looks the name up again before each attempt). Nothing listens at these loopback addresses.
     */
    @Test
    void fewerLinksThanANamesAddressesIsWarnedAbout() throws Exception {
        try (LogCapture log = LogCapture.of(LinkSupervisor.class, Level.WARNING)) {
            connector(2, List.of(InetSocketAddress.createUnresolved("a.test", 7844), InetSocketAddress.createUnresolved("b.test", 7844)),
                    names(Map.of("a.test", List.of("127.0.0.5"), "b.test", List.of("127.0.0.6", "127.0.0.7"))));
            String warning = "edge b.test:7844 has 2 addresses and 1 of the 2 links go to it: an edge at one of the others"
                    + " without a link of this tunnel answers its fetches no_connector (give --ha-connections 4 or more)";
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(8); // attempts 1-3 within the backoff's 0-3 s
            while (log.messages().stream().filter(m -> m.contains("addresses and")).count() == 0) {
                assertTrue(System.nanoTime() < deadline, "no warning: " + log.messages());
                Thread.sleep(20);
            }
            Thread.sleep(3_000); // more attempts, more lookups: still one warning
            assertEquals(List.of(warning), log.messages().stream().filter(m -> m.contains("addresses and")).toList());
        }
    }

    /** Edges do not pass fetches to each other: with fewer links than edges, some edge has none, and the log says so. */
    @Test
    void fewerLinksThanEdgesIsWarnedAbout() throws Exception {
        LinkConfig cfg = new LinkConfig(new TunnelToken("0123456789abcdef0123456789abcdef", UUID.randomUUID(), new byte[32]),
                List.of(InetSocketAddress.createUnresolved("127.0.0.1", 1), InetSocketAddress.createUnresolved("127.0.0.1", 2)),
                LinkTls.client(List.of(CA.certificate())), 1, "test-connector", "test", Duration.ofSeconds(5),
                Duration.ofSeconds(15), Duration.ofSeconds(5), 100);
        try (LogCapture log = LogCapture.of(LinkSupervisor.class, Level.WARNING)) {
            LinkSupervisor s = new LinkSupervisor(cfg, group, ChannelInboundHandlerAdapter::new);
            connectors.add(s);
            s.start();
            assertTrue(log.messages().contains("--ha-connections 1 is fewer than the 2 edges given: an edge without a link"
                    + " of this tunnel answers its fetches no_connector (give at least 2)"), log.messages().toString());
        }
    }
}
