package dev.vpctunnel.connector.dns;

import io.netty.channel.ChannelFuture;
import io.netty.handler.codec.dns.DnsQuestion;
import io.netty.handler.codec.dns.DnsResponseCode;
import io.netty.resolver.dns.DnsNameResolverTimeoutException;
import io.netty.resolver.dns.DnsQueryLifecycleObserver;
import io.netty.resolver.dns.DnsQueryLifecycleObserverFactory;
import io.netty.resolver.dns.DnsServerAddressStream;
import io.netty.resolver.dns.DnsServerAddressStreamProvider;
import io.netty.resolver.dns.DnsServerAddresses;

import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * The order in which a service's {@code resolver_ips} are asked: as configured, except that a server is demoted (asked
 * last) for a while when its query failed (no answer within the query timeout, or it could not be sent) and another
 * server answered after that. So [dead, good] costs one query timeout, not one per lookup, while a lost packet to a good
 * first server does not put a dead second one in front. When a demotion ends, one lookup asks that server first again
 * (the others keep it last meanwhile): an answer restores it, a failure demotes it again. Shared by the per-event-loop
 * resolvers of one resolver set; thread-safe.
 */
final class ResolverHealth implements DnsServerAddressStreamProvider, DnsQueryLifecycleObserverFactory {
    static final long DEMOTION_NANOS = 30_000_000_000L;
    private final List<InetSocketAddress> servers;
    private final long demotionNanos;
    private final java.util.function.LongSupplier clock;
    private final long base;
    /** Per server: when it last answered / last failed (nanos since {@link #base}, plus one), 0 for never. */
    private final AtomicLongArray lastOk;
    private final AtomicLongArray lastFail;
    /** Per server: when a lookup last asked it first although demoted (one such probe per demotion period). */
    private final AtomicLongArray probedAt;

    ResolverHealth(List<InetSocketAddress> servers) {
        this(servers, DEMOTION_NANOS, System::nanoTime);
    }

    /** {@code clock}: nanoseconds, as System.nanoTime (tests step one by hand). */
    ResolverHealth(List<InetSocketAddress> servers, long demotionNanos, java.util.function.LongSupplier clock) {
        this.servers = List.copyOf(new LinkedHashSet<>(servers)); // the same address twice is one server
        this.demotionNanos = demotionNanos;
        this.clock = clock;
        this.base = clock.getAsLong();
        this.lastOk = new AtomicLongArray(this.servers.size());
        this.lastFail = new AtomicLongArray(this.servers.size());
        this.probedAt = new AtomicLongArray(this.servers.size());
    }

    @Override
    public DnsServerAddressStream nameServerAddressStream(String hostname) {
        return DnsServerAddresses.sequential(order()).stream();
    }

    /** Servers in the order the next lookup asks them: those in good standing as configured, then demoted ones. */
    List<InetSocketAddress> order() {
        long now = now();
        List<InetSocketAddress> first = new ArrayList<>(servers.size());
        List<InetSocketAddress> last = new ArrayList<>(servers.size());
        for (int i = 0; i < servers.size(); i++) {
            (demoted(i, now) ? last : first).add(servers.get(i));
        }
        first.addAll(last);
        return first;
    }

    private boolean demoted(int i, long now) {
        long failed = lastFail.get(i);
        if (failed == 0 || lastOk.get(i) >= failed || !anotherAnsweredSince(i, failed)) {
            return false;
        }
        long probed = probedAt.get(i);
        if (now - Math.max(failed, probed) <= demotionNanos) {
            return true;
        }
        // the demotion is over: the lookup that wins this swap asks the server first, the others keep it last
        return !probedAt.compareAndSet(i, probed, now);
    }

    private boolean anotherAnsweredSince(int i, long failed) {
        for (int j = 0; j < servers.size(); j++) {
            if (j != i && lastOk.get(j) > failed) {
                return true;
            }
        }
        return false;
    }

    void answered(InetSocketAddress server) {
        int i = servers.indexOf(server);
        if (i >= 0) {
            lastOk.set(i, now());
        }
    }

    void failed(InetSocketAddress server) {
        int i = servers.indexOf(server);
        if (i >= 0) {
            lastFail.set(i, now());
        }
    }

    private long now() {
        return clock.getAsLong() - base + 1;
    }

    @Override
    public DnsQueryLifecycleObserver newDnsQueryLifecycleObserver(DnsQuestion question) {
        return new Observer();
    }

    /** One query to one server (Netty asks for a new observer for each server it tries). */
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
            // no answer in time, or the query could not be sent; anything else ("no matching record type") came from
            // an answer
            boolean silent = cause instanceof DnsNameResolverTimeoutException || cause instanceof java.io.IOException
                    || cause.getCause() instanceof java.io.IOException;
            if (!silent) {
                answered();
            } else if (server != null) {
                failed(server);
            }
        }

        @Override
        public void querySucceed() {
            answered();
        }

        private void answered() {
            if (server != null) {
                ResolverHealth.this.answered(server);
            }
        }
    }
}
