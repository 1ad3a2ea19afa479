package dev.vpctunnel.connector.dns;

import io.netty.channel.ChannelFuture;
import io.netty.handler.codec.dns.DnsQuestion;
import io.netty.handler.codec.dns.DnsResponseCode;
import io.netty.resolver.dns.DnsQueryLifecycleObserver;
import io.netty.resolver.dns.DnsNameResolverTimeoutException;
import io.netty.resolver.dns.DnsQueryLifecycleObserverFactory;
import io.netty.resolver.dns.DnsServerAddressStream;
import io.netty.resolver.dns.DnsServerAddressStreamProvider;
import io.netty.resolver.dns.DnsServerAddresses;

import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * The order in which a service's {@code resolver_ips} are asked: as configured, except that a server whose last query
 * failed (no answer within the query timeout, or an error reaching it) goes last for {@link #DEMOTION_NANOS}, so a dead
 * first resolver costs one query timeout, not one per lookup. An answer (NXDOMAIN included) from a server restores it.
 * Shared by the per-event-loop resolvers of one resolver set; thread-safe.
 */
final class ResolverHealth implements DnsServerAddressStreamProvider, DnsQueryLifecycleObserverFactory {
    static final long DEMOTION_NANOS = 30_000_000_000L;
    private final List<InetSocketAddress> servers;
    /** Per server: System.nanoTime() of its last failure, or 0 while it answers. */
    private final AtomicLongArray failedAt;

    ResolverHealth(List<InetSocketAddress> servers) {
        this.servers = List.copyOf(servers);
        this.failedAt = new AtomicLongArray(servers.size());
    }

    @Override
    public DnsServerAddressStream nameServerAddressStream(String hostname) {
        return DnsServerAddresses.sequential(order()).stream();
    }

    /** Servers in the order the next lookup asks them: answering ones as configured, then failed ones, oldest failure first. */
    List<InetSocketAddress> order() {
        long now = System.nanoTime();
        List<Integer> idx = new ArrayList<>(servers.size());
        for (int i = 0; i < servers.size(); i++) {
            idx.add(i);
        }
        idx.sort(Comparator.comparingLong((Integer i) -> demotedSince(i, now)));
        List<InetSocketAddress> out = new ArrayList<>(idx.size());
        idx.forEach(i -> out.add(servers.get(i)));
        return out;
    }

    /** 0 for a server in good standing (sorts first, ties keep the configured order), else when it failed. */
    private long demotedSince(int i, long now) {
        long t = failedAt.get(i);
        return t == 0 || now - t > DEMOTION_NANOS ? Long.MIN_VALUE : t;
    }

    private void record(InetSocketAddress server, boolean failed) {
        int i = servers.indexOf(server);
        if (i >= 0) {
            failedAt.set(i, failed ? Math.max(1, System.nanoTime()) : 0);
        }
    }

    @Override
    public DnsQueryLifecycleObserver newDnsQueryLifecycleObserver(DnsQuestion question) {
        return new Observer();
    }

    /** One query, to one server after another (Netty reuses the observer for the next server): the last one asked. */
    private final class Observer implements DnsQueryLifecycleObserver {
        private InetSocketAddress server;

        @Override
        public void queryWritten(InetSocketAddress dnsServerAddress, ChannelFuture future) {
            server = dnsServerAddress;
        }

        @Override
        public void queryCancelled(int queriesRemaining) {
        }

        @Override
        public DnsQueryLifecycleObserver queryRedirected(List<InetSocketAddress> nameServers) {
            answered();
            return new Observer();
        }

        @Override
        public DnsQueryLifecycleObserver queryCNAMEd(DnsQuestion cnameQuestion) {
            answered();
            return new Observer();
        }

        @Override
        public DnsQueryLifecycleObserver queryNoAnswer(DnsResponseCode code) {
            answered(); // NXDOMAIN, SERVFAIL...: the server is there and speaks
            return new Observer();
        }

        @Override
        public void queryFailed(Throwable cause) {
            // no answer in time, or the server could not be reached (port unreachable...); anything else (e.g. "no
            // matching record type") came from an answer
            if (cause instanceof DnsNameResolverTimeoutException || cause instanceof java.io.IOException
                    || cause.getCause() instanceof java.io.IOException) {
                if (server != null) {
                    record(server, true);
                }
            } else {
                answered();
            }
        }

        @Override
        public void querySucceed() {
            answered();
        }

        private void answered() {
            if (server != null) {
                record(server, false);
            }
        }
    }
}
