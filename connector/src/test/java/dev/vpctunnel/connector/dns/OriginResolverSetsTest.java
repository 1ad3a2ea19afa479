package dev.vpctunnel.connector.dns;

import dev.vpctunnel.connector.origin.TestDns;
import dev.vpctunnel.core.net.Transports;
import io.netty.channel.EventLoopGroup;
import io.netty.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Many distinct resolver sets (as many VPC services, each with its own resolver_ips): every one resolves, and at most
 * {@link OriginResolver#MAX_RESOLVER_SETS} are kept, the least recently used going first.
 */
class OriginResolverSetsTest {
    static final int SETS = 300;
    static EventLoopGroup group;
    static TestDns dns;
    /** One resolver set per entry: a port of the test DNS server of its own. */
    static final List<List<InetSocketAddress>> sets = new ArrayList<>();

    @BeforeAll
    static void start() throws Exception {
        group = Transports.group(4, "resolver-sets-test");
        dns = new TestDns();
        dns.records.put("svc.vpc.test", List.of(InetAddress.getByName("10.9.8.7")));
        for (int i = 0; i < SETS; i++) {
            sets.add(List.of(dns.listenAlso()));
        }
    }

    @AfterAll
    static void stop() {
        dns.close();
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    private static Future<List<InetAddress>> resolve(OriginResolver r, int set) {
        return r.resolve("svc.vpc.test", sets.get(set), group.next());
    }

    @Test
    void moreSetsThanKeptAllResolveFromSeveralLoops() throws Exception {
        try (OriginResolver r = new OriginResolver()) {
            // All at once, from the group's loops in turn: sets are evicted while queries on them are running.
            List<Future<List<InetAddress>>> all = new ArrayList<>();
            for (int i = 0; i < SETS; i++) {
                all.add(resolve(r, i));
            }
            for (int i = 0; i < SETS; i++) {
                Future<List<InetAddress>> f = all.get(i).awaitUninterruptibly();
                assertTrue(f.isSuccess(), "set " + i + ": " + f.cause());
                assertEquals(List.of(InetAddress.getByName("10.9.8.7")), f.getNow());
            }
            assertTrue(r.resolverSets() <= OriginResolver.MAX_RESOLVER_SETS, r.resolverSets() + " sets kept");
            // And one after the other, each set again (all of them evicted and made afresh in turn).
            for (int i = 0; i < SETS; i++) {
                Future<List<InetAddress>> f = resolve(r, i).awaitUninterruptibly();
                assertTrue(f.isSuccess(), "set " + i + " again: " + f.cause());
            }
            assertEquals(OriginResolver.MAX_RESOLVER_SETS, r.resolverSets());
        }
    }

    @Test
    void theLeastRecentlyUsedSetIsTheOneEvicted() throws Exception {
        try (OriginResolver r = new OriginResolver()) {
            int max = OriginResolver.MAX_RESOLVER_SETS;
            for (int i = 0; i < max; i++) {
                assertTrue(resolve(r, i).awaitUninterruptibly().isSuccess());
            }
            // Set 0 is the oldest but used again now: the next new set evicts set 1 instead.
            assertTrue(resolve(r, 0).awaitUninterruptibly().isSuccess());
            assertTrue(resolve(r, max).awaitUninterruptibly().isSuccess());
            assertEquals(max, r.resolverSets());

            int before = dns.queries.get();
            assertTrue(resolve(r, 0).awaitUninterruptibly().isSuccess());
            assertEquals(before, dns.queries.get(), "set 0 was evicted: its cached answer is gone");
            assertTrue(resolve(r, 1).awaitUninterruptibly().isSuccess());
            assertTrue(dns.queries.get() > before, "set 1 was kept although it was the least recently used");
        }
    }
}
