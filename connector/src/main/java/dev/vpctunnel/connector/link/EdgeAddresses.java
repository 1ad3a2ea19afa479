package dev.vpctunnel.connector.link;

import io.netty.channel.EventLoop;
import io.netty.resolver.AddressResolverGroup;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.Promise;

import java.net.InetSocketAddress;
import java.util.List;

/**
 * Which address of an edge an attempt dials. An edge given by a host name stands for every address the system
 * resolver returns for it (a pool of edges behind one name with several A/AAAA records), not only the first: a link's
 * turn picks one of them, link i starting at turn i / (number of edges) so that the links to one name spread over its
 * addresses, and an attempt that ends without a registration moves the link to the next turn, so an address where no
 * edge answers does not hold it down (as cloudflared moves to another edge address after a failed connection).
 */
final class EdgeAddresses {
    private final AddressResolverGroup<InetSocketAddress> resolver;

    EdgeAddresses(AddressResolverGroup<InetSocketAddress> resolver) {
        this.resolver = resolver;
    }

    /** The address for turn {@code turn} of {@code edge}, resolved through the resolver's own thread. */
    Future<InetSocketAddress> pick(EventLoop loop, InetSocketAddress edge, int turn) {
        Promise<InetSocketAddress> picked = loop.newPromise();
        resolver.getResolver(loop).resolveAll(edge).addListener((Future<List<InetSocketAddress>> all) -> {
            if (!all.isSuccess()) {
                picked.tryFailure(all.cause());
            } else if (all.getNow().isEmpty()) {
                picked.tryFailure(new java.net.UnknownHostException(edge.getHostString() + ": no address"));
            } else {
                picked.trySuccess(all.getNow().get(Math.floorMod(turn, all.getNow().size())));
            }
        });
        return picked;
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
}
