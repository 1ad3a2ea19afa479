package dev.vpctunnel.connector.dns;

import dev.vpctunnel.core.net.Transports;
import io.netty.channel.EventLoop;
import io.netty.resolver.ResolvedAddressTypes;
import io.netty.resolver.dns.DefaultAuthoritativeDnsServerCache;
import io.netty.resolver.dns.DefaultDnsCache;
import io.netty.resolver.dns.DefaultDnsCnameCache;
import io.netty.resolver.dns.DnsNameResolver;
import io.netty.resolver.dns.DnsNameResolverBuilder;
import io.netty.resolver.dns.DnsServerAddressStreamProviders;
import io.netty.resolver.dns.SequentialDnsServerAddressStreamProvider;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.Promise;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Resolves origin hostnames with Netty's DnsNameResolver, against a request's resolver IPs or the system resolver
 * (/etc/resolv.conf and the hosts file) when there are none. One cache per resolver set, shared by the per-event-loop
 * resolvers of that set; resolvers are created once and reused, never per request. A and AAAA, TTLs honoured.
 */
public final class OriginResolver implements AutoCloseable {
    static final long DEFAULT_QUERY_TIMEOUT_MS = 5_000;
    /** Distinct resolver sets kept; each has a cache and one resolver per event loop. */
    static final int MAX_RESOLVER_SETS = 256;

    private record Caches(DefaultDnsCache answers, DefaultDnsCnameCache cnames, DefaultAuthoritativeDnsServerCache authorities) {
    }

    private record Key(List<InetSocketAddress> servers, EventLoop loop) {
    }

    private final Map<List<InetSocketAddress>, Caches> caches = new ConcurrentHashMap<>();
    private final Map<Key, DnsNameResolver> resolvers = new ConcurrentHashMap<>();
    private final long queryTimeoutMs;
    private volatile boolean closed;

    public OriginResolver() {
        this(DEFAULT_QUERY_TIMEOUT_MS);
    }

    /** {@code queryTimeoutMs}: how long one DNS query may take before the next server or a failure. */
    public OriginResolver(long queryTimeoutMs) {
        this.queryTimeoutMs = queryTimeoutMs;
    }

    /**
     * All addresses of {@code hostname}, IPv4 first. The future completes on {@code loop}; it fails with a
     * {@link DnsFailure} naming the host.
     */
    public Future<List<InetAddress>> resolve(String hostname, List<InetSocketAddress> servers, EventLoop loop) {
        Promise<List<InetAddress>> promise = loop.newPromise();
        if (closed) {
            return promise.setFailure(new DnsFailure("cannot resolve " + hostname + ": resolver closed"));
        }
        if (!caches.containsKey(servers) && caches.size() >= MAX_RESOLVER_SETS) {
            return promise.setFailure(new DnsFailure("cannot resolve " + hostname + ": more than " + MAX_RESOLVER_SETS
                    + " distinct resolver sets in use"));
        }
        DnsNameResolver resolver = resolvers.computeIfAbsent(new Key(servers, loop), k -> newResolver(k.servers(), k.loop()));
        resolver.resolveAll(hostname).addListener((Future<List<InetAddress>> f) -> {
            if (f.isSuccess() && !f.getNow().isEmpty()) {
                promise.trySuccess(f.getNow());
            } else if (f.isSuccess()) {
                promise.tryFailure(new DnsFailure("cannot resolve " + hostname + ": no A or AAAA records"));
            } else {
                promise.tryFailure(new DnsFailure("cannot resolve " + hostname + ": " + reason(f.cause())));
            }
        });
        return promise;
    }

    static String reason(Throwable t) {
        String all = "";
        for (Throwable c = t; c != null; c = c.getCause()) {
            all += " " + c;
        }
        if (all.contains("NXDomain") || all.contains("NXDOMAIN")) {
            return "NXDOMAIN (no such name)";
        }
        if (all.contains("ServFail") || all.contains("SERVFAIL")) {
            return "SERVFAIL";
        }
        if (all.contains("Timeout") || all.contains("timed out") || all.contains("timeout")) {
            return "DNS query timed out";
        }
        String m = t.getMessage();
        return m == null ? t.toString() : m;
    }

    private DnsNameResolver newResolver(List<InetSocketAddress> servers, EventLoop loop) {
        Caches c = caches.computeIfAbsent(servers, s -> new Caches(new DefaultDnsCache(), new DefaultDnsCnameCache(),
                new DefaultAuthoritativeDnsServerCache()));
        DnsNameResolverBuilder b = new DnsNameResolverBuilder(loop)
                .datagramChannelType(Transports.datagram())
                .socketChannelType(Transports.socket())
                .resolveCache(c.answers())
                .cnameCache(c.cnames())
                .authoritativeDnsServerCache(c.authorities())
                .resolvedAddressTypes(ResolvedAddressTypes.IPV4_PREFERRED)
                .queryTimeoutMillis(queryTimeoutMs)
                .negativeTtl(5);
        if (servers.isEmpty()) {
            b.nameServerProvider(DnsServerAddressStreamProviders.platformDefault());
        } else {
            // The private network's resolvers answer for its names; the local hosts file does not override them.
            b.nameServerProvider(new SequentialDnsServerAddressStreamProvider(servers.toArray(InetSocketAddress[]::new)))
                    .hostsFileEntriesResolver((name, types) -> null)
                    .searchDomains(List.of())
                    .ndots(1);
        }
        return b.build();
    }

    @Override
    public void close() {
        closed = true;
        resolvers.values().forEach(DnsNameResolver::close);
        resolvers.clear();
        caches.values().forEach(c -> c.answers().clear());
    }

    /** A name that could not be resolved; the message names it. */
    public static final class DnsFailure extends Exception {
        public DnsFailure(String message) {
            super(message, null, false, false);
        }
    }
}
