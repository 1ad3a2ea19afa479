package dev.vpctunnel.connector.dns;

import dev.vpctunnel.core.net.Transports;
import io.netty.channel.EventLoop;
import io.netty.resolver.ResolvedAddressTypes;
import io.netty.resolver.dns.DefaultAuthoritativeDnsServerCache;
import io.netty.resolver.dns.DefaultDnsCache;
import io.netty.resolver.dns.DefaultDnsCnameCache;
import io.netty.resolver.dns.DnsNameResolver;
import io.netty.resolver.dns.DnsNameResolverBuilder;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.Promise;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Resolves origin hostnames with Netty's DnsNameResolver, against a request's resolver IPs or the system resolver
 * (/etc/resolv.conf and the hosts file) when there are none. One cache per resolver set, shared by the per-event-loop
 * resolvers of that set; resolvers are created once and reused, never per request. A and AAAA, TTLs honoured (an
 * answer through CNAMEs for the shortest TTL on its chain).
 * At most {@link #MAX_RESOLVER_SETS} sets are kept, least recently used out first: an evicted set's resolvers are
 * closed (once the queries already running on them ended) and its caches cleared; using it again starts afresh.
 * The hosts file is read again at most every {@link #HOSTS_FILE_REFRESH_NANOS} (Netty reads it once unless told), and
 * /etc/resolv.conf is looked at as often ({@link SystemResolvConf}), so an operator's edit takes effect as it does for
 * cloudflared, whose Go resolver checks both files every 5 s.
 */
public final class OriginResolver implements AutoCloseable {
    static final long DEFAULT_QUERY_TIMEOUT_MS = 5_000;
    private static final String TIMED_OUT = "DNS query timed out";
    /** Distinct resolver sets kept; each has a cache and one resolver per event loop. */
    static final int MAX_RESOLVER_SETS = 256;
    static final String HOSTS_FILE_REFRESH_PROPERTY = "io.netty.hostsFileRefreshInterval";
    static final long HOSTS_FILE_REFRESH_NANOS = TimeUnit.SECONDS.toNanos(5);

    static {
        // Netty's only knob for it: read once, when its default hosts-file resolver is first used (after this class).
        if (System.getProperty(HOSTS_FILE_REFRESH_PROPERTY) == null) {
            System.setProperty(HOSTS_FILE_REFRESH_PROPERTY, Long.toString(HOSTS_FILE_REFRESH_NANOS));
        }
    }

    /** Resolver sets, least recently used first. Guarded by itself; resolve is called from several event loops. */
    private final LinkedHashMap<List<InetSocketAddress>, ResolverSet> sets = new LinkedHashMap<>(16, 0.75f, true);
    private final long queryTimeoutMs;
    /** For requests without resolver IPs; its set is made anew when the file changed. */
    private final SystemResolvConf system;
    private volatile boolean closed;

    public OriginResolver() {
        this(DEFAULT_QUERY_TIMEOUT_MS);
    }

    /** {@code queryTimeoutMs}: how long one DNS query may take before the next server or a failure. */
    public OriginResolver(long queryTimeoutMs) {
        this(queryTimeoutMs, java.nio.file.Path.of("/etc/resolv.conf"));
    }

    /** With {@code resolvConf} as the system resolver's configuration (tests). */
    OriginResolver(long queryTimeoutMs, java.nio.file.Path resolvConf) {
        this.queryTimeoutMs = queryTimeoutMs;
        this.system = new SystemResolvConf(resolvConf);
    }

    /**
     * All addresses of {@code hostname}, IPv4 first. The future completes on {@code loop}; it fails with a
     * {@link DnsFailure} naming the host.
     */
    public Future<List<InetAddress>> resolve(String hostname, List<InetSocketAddress> servers, EventLoop loop) {
        Promise<List<InetAddress>> promise = loop.newPromise();
        final ResolverSet set;
        ResolverSet evicted = null;
        ResolverSet outdated = null;
        DnsNameResolver resolver;
        int generation = servers.isEmpty() ? system.generation() : 0;
        synchronized (sets) {
            if (closed) {
                return promise.setFailure(new DnsFailure("cannot resolve " + hostname + ": resolver closed"));
            }
            ResolverSet known = sets.get(servers); // marks it most recently used
            if (known != null && known.generation < generation) { // (a loop that read the generation earlier keeps the set)
                sets.remove(servers); // the system's resolv.conf changed: a new set reads it, with empty caches
                known.evicted = true;
                outdated = known;
                known = null;
            }
            if (known != null) {
                set = known;
            } else {
                set = new ResolverSet(List.copyOf(servers), generation, servers.isEmpty() ? system.read() : null);
                sets.put(set.servers, set);
                if (sets.size() > MAX_RESOLVER_SETS) {
                    Iterator<ResolverSet> eldest = sets.values().iterator();
                    evicted = eldest.next();
                    eldest.remove();
                    evicted.evicted = true;
                }
            }
            resolver = set.resolvers.computeIfAbsent(loop, l -> newResolver(set, l));
            set.inFlight.incrementAndGet();
        }
        if (evicted != null) {
            evicted.closeIfIdle();
        }
        if (outdated != null) {
            outdated.closeIfIdle();
        }
        resolver.resolveAll(hostname).addListener((Future<List<InetAddress>> f) -> {
            set.queryEnded();
            if (f.isSuccess() && !f.getNow().isEmpty()) {
                promise.trySuccess(f.getNow());
            } else if (f.isSuccess()) {
                promise.tryFailure(new DnsFailure("cannot resolve " + hostname + ": no A or AAAA records"));
            } else {
                String why = reason(f.cause());
                boolean timedOut = TIMED_OUT.equals(why);
                // which resolvers gave no answer: the operator's first question (one without a port is on 53)
                promise.tryFailure(new DnsFailure("cannot resolve " + hostname + ": " + why
                        + (timedOut ? " (asked " + servers(set.servers) + ")" : ""), timedOut));
            }
        });
        return promise;
    }

    /** Resolver sets currently kept. For tests. */
    int resolverSets() {
        synchronized (sets) {
            return sets.size();
        }
    }

    static String servers(List<InetSocketAddress> servers) {
        if (servers.isEmpty()) {
            return "the system's resolvers, from resolv.conf"; // a service without resolver_ips
        }
        StringBuilder b = new StringBuilder();
        for (InetSocketAddress a : servers) {
            b.append(b.length() == 0 ? "" : ", ").append(a.getPort() == 53 && a.getAddress() != null
                    ? io.netty.util.NetUtil.toAddressString(a.getAddress()) : io.netty.util.NetUtil.toSocketAddressString(a));
        }
        return b.toString();
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
            return TIMED_OUT;
        }
        if (all.contains("Exceeded max queries")) {
            return "the name's CNAME chain is too long or loops";
        }
        String m = t.getMessage();
        if (t instanceof java.net.UnknownHostException && t.getCause() == null && m != null
                && m.startsWith("Failed to resolve")) {
            return "no A or AAAA records"; // Netty's answer to NODATA: the name exists, without an address
        }
        return m == null ? t.toString() : m;
    }

    /**
     * The caches of one resolver set and its resolver per event loop. {@code resolvers} is guarded by
     * {@code OriginResolver.sets}; once evicted the set is closed when no query on it is running any more.
     */
    private final class ResolverSet {
        final List<InetSocketAddress> servers;
        final DefaultDnsCache answers = new DefaultDnsCache();
        final DefaultDnsCnameCache cnames = new DefaultDnsCnameCache();
        final DefaultAuthoritativeDnsServerCache authorities = new DefaultAuthoritativeDnsServerCache();
        /** Caps the answers reached through CNAMEs at the chain's shortest TTL. */
        final CnameTtls chains = new CnameTtls();
        final Map<EventLoop, DnsNameResolver> resolvers = new HashMap<>();
        /** The order of {@code servers}: one that failed goes last for a while. */
        final ResolverHealth health;
        final AtomicInteger inFlight = new AtomicInteger();
        volatile boolean evicted;
        private final AtomicBoolean isClosed = new AtomicBoolean();

        /** For the system resolver: the resolv.conf generation and settings it was made with (else 0 and null). */
        final int generation;
        final SystemResolvConf.Settings system;

        ResolverSet(List<InetSocketAddress> servers, int generation, SystemResolvConf.Settings system) {
            this.servers = servers;
            this.health = new ResolverHealth(servers);
            this.generation = generation;
            this.system = system;
        }

        void queryEnded() {
            if (inFlight.decrementAndGet() == 0 && evicted) {
                close();
            }
        }

        void closeIfIdle() {
            if (inFlight.get() == 0) {
                close();
            }
        }

        /** Closes the resolvers and clears the caches; once. Only when no longer reachable through {@code sets}. */
        void close() {
            if (!isClosed.compareAndSet(false, true)) {
                return;
            }
            List<DnsNameResolver> all;
            synchronized (sets) {
                all = new ArrayList<>(resolvers.values());
                resolvers.clear();
            }
            all.forEach(DnsNameResolver::close);
            answers.clear();
            cnames.clear();
            authorities.clear();
        }
    }

    private DnsNameResolver newResolver(ResolverSet set, EventLoop loop) {
        List<InetSocketAddress> servers = set.servers;
        DnsNameResolverBuilder b = new DnsNameResolverBuilder(loop)
                .datagramChannelType(Transports.datagram())
                .socketChannelType(Transports.socket())
                .resolveCache(set.chains.answers(set.answers))
                .cnameCache(set.chains.cnames(set.cnames))
                .authoritativeDnsServerCache(set.authorities)
                .resolvedAddressTypes(ResolvedAddressTypes.IPV4_PREFERRED)
                .queryTimeoutMillis(queryTimeoutMs)
                .negativeTtl(5);
        if (servers.isEmpty()) {
            b.nameServerProvider(set.system.nameServers());
            if (set.system.searchDomains() != null) {
                b.searchDomains(set.system.searchDomains()).ndots(set.system.ndots());
            }
        } else {
            // The private network's resolvers answer for its names; the local hosts file does not override them.
            b.nameServerProvider(set.health)
                    .dnsQueryLifecycleObserverFactory(set.health)
                    .hostsFileEntriesResolver((name, types) -> null)
                    .searchDomains(List.of())
                    .ndots(1);
        }
        return b.build();
    }

    @Override
    public void close() {
        List<ResolverSet> all;
        synchronized (sets) {
            closed = true;
            all = new ArrayList<>(sets.values());
            sets.clear();
        }
        all.forEach(ResolverSet::close);
    }

    /** A name that could not be resolved; the message names it. */
    public static final class DnsFailure extends Exception {
        private final boolean timedOut;

        public DnsFailure(String message) {
            this(message, false);
        }

        /** {@code timedOut}: no resolver answered in time (the gateway answers 504). */
        public DnsFailure(String message, boolean timedOut) {
            super(message, null, false, false);
            this.timedOut = timedOut;
        }

        public boolean timedOut() {
            return timedOut;
        }
    }
}
