package dev.vpctunnel.connector.link;

import io.netty.channel.EventLoop;
import io.netty.resolver.AddressResolverGroup;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.Promise;

import java.net.InetSocketAddress;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.logging.Logger;
import java.util.concurrent.atomic.AtomicIntegerArray;

/**
 * Which address of an edge an attempt dials. An edge given by a host name stands for every address the system
 * resolver returns for it (a pool of edges behind one name with several A/AAAA records), not only the first: a link's
 * turn picks one of them, link i starting at turn i / (number of edges) so that the links to one name spread over its
 * addresses, and an attempt on an edge that ends without a registration moves the link's turn for that edge on, so an
 * address where no edge answers does not hold it down (as cloudflared moves to another edge address after a failed
 * connection).
 */
final class EdgeAddresses {
    private static final Logger LOG = Logger.getLogger(LinkSupervisor.class.getName());
    private final AddressResolverGroup<InetSocketAddress> resolver;
    /** The resolver's own thread: the lookup blocks (hosts file, nsswitch, DNS), and never on an event loop. */
    private final EventExecutor resolverThread;
    private final List<InetSocketAddress> edges;
    private final int links;
    /** Edges a link of this connector has registered with: a refusal there is the edge restarting, not a wrong --edge. */
    private final java.util.Set<InetSocketAddress> worked = ConcurrentHashMap.newKeySet();
    /** Edges whose addresses outnumber the links aimed at them, and the most addresses they had when said. */
    private final Map<InetSocketAddress, Integer> said = new ConcurrentHashMap<>();

    EdgeAddresses(AddressResolverGroup<InetSocketAddress> resolver, EventExecutor resolverThread,
                  List<InetSocketAddress> edges, int links) {
        this.resolver = resolver;
        this.resolverThread = resolverThread;
        this.edges = edges;
        this.links = links;
    }

    /** The address for turn {@code turn} of {@code edge}, looked up on the resolver's thread; completes on {@code loop}. */
    Future<InetSocketAddress> pick(EventLoop loop, InetSocketAddress edge, int turn) {
        Promise<InetSocketAddress> picked = loop.newPromise();
        resolverThread.execute(() -> {
            io.netty.resolver.AddressResolver<InetSocketAddress> r;
            try {
                r = resolver.getResolver(resolverThread);
            } catch (IllegalStateException stopping) { // the connector stops: its resolver thread takes no more
                picked.tryFailure(stopping);
                return;
            }
            r.resolveAll(edge).addListener((Future<List<InetSocketAddress>> all) -> {
                if (!all.isSuccess()) {
                    picked.tryFailure(all.cause());
                } else if (all.getNow().isEmpty()) {
                    picked.tryFailure(new java.net.UnknownHostException(edge.getHostString() + ": no address"));
                } else {
                    tooFewLinks(edge, all.getNow().size());
                    picked.trySuccess(all.getNow().get(Math.floorMod(turn, all.getNow().size())));
                }
            });
        });
        return picked;
    }

    /**
     * Warns when a name stands for more edges (addresses) than there are links aimed at it (link i goes to edge i mod
     * the number given): as with fewer links than names, an edge without a link of this tunnel answers its fetches
     * no_connector. Once per name, and again only when it has more addresses than when said (a DNS server answering
     * subsets of its records would repeat it); a name no link is aimed at was said at start (fewer links than names).
     */
    private void tooFewLinks(InetSocketAddress edge, int addresses) {
        int index = edges.indexOf(edge);
        if (index < 0) {
            return;
        }
        int aimed = (links - index + edges.size() - 1) / edges.size(); // links i < links with i mod edges = index
        Integer before = said.get(edge);
        if (aimed > 0 && addresses > aimed && (before == null || addresses > before) && !Integer.valueOf(addresses).equals(
                said.put(edge, addresses))) {
            int enough = (addresses - 1) * edges.size() + index + 1;
            LOG.warning(() -> "edge " + LinkConfig.hostPort(edge) + " has " + addresses + " addresses and " + aimed + " of the "
                    + links + " links go to it: an edge at one of the others without a link of this tunnel answers its"
                    + " fetches no_connector (give --ha-connections " + enough + " or more)");
        }
    }

    void registered(InetSocketAddress edge) {
        worked.add(edge);
    }

    /**
     * What a refused connection to {@code edge} may mean ({@link LinkConfig#refusedHint}), unless a link registered
     * there before: an edge that restarts refuses for a while, and pointing at --edge would mislead.
     */
    String refusedHint(InetSocketAddress edge, Throwable cause) {
        return worked.contains(edge) ? "" : LinkConfig.refusedHint(cause);
    }

    /** "HOST:PORT" as given, with the address dialed when the host is a name: "edge.example:7844 (10.0.0.2)". */
    static String describe(InetSocketAddress edge, InetSocketAddress address) {
        String given = LinkConfig.hostPort(edge);
        if (address == null || address.getAddress() == null) {
            return given;
        }
        String ip = address.getAddress().getHostAddress();
        return edge.getHostString().equalsIgnoreCase(ip) || io.netty.util.NetUtil.isValidIpV6Address(edge.getHostString())
                ? given : given + " (" + ip + ")";
    }

    /** One link's turn for each edge (shared with its probes, which try its own edge for it). */
    static final class Turns {
        private final AtomicIntegerArray turn;

        Turns(int edges, int first) {
            turn = new AtomicIntegerArray(edges);
            for (int i = 0; i < edges; i++) {
                turn.set(i, first);
            }
        }

        int of(int edge) {
            return turn.get(edge);
        }

        /** An attempt on that edge got no registration: its next attempt there dials the next address. */
        void failed(int edge) {
            turn.incrementAndGet(edge);
        }
    }
}
