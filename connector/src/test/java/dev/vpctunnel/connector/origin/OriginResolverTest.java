package dev.vpctunnel.connector.origin;

import dev.vpctunnel.connector.dns.OriginResolver;
import dev.vpctunnel.core.net.Transports;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The resolver on its own: A and AAAA, SERVFAIL and timeouts named, per-resolver-set answers. */
class OriginResolverTest {
    static EventLoopGroup group;
    static TestDns dns;
    static TestDns otherDns;

    @BeforeAll
    static void start() throws Exception {
        group = Transports.group(2, "resolver-test"); // two loops: a resolver set is shared by both
        dns = new TestDns();
        otherDns = new TestDns();
        dns.records.put("both.vpc.test", List.of(InetAddress.getByName("10.1.2.3"), InetAddress.getByName("fd00::5")));
        dns.records.put("same.vpc.test", List.of(InetAddress.getByName("10.0.0.1")));
        otherDns.records.put("same.vpc.test", List.of(InetAddress.getByName("10.0.0.2")));
    }

    @AfterAll
    static void stop() {
        dns.close();
        otherDns.close();
        group.shutdownGracefully(0, 1, java.util.concurrent.TimeUnit.SECONDS).syncUninterruptibly();
    }

    private static Future<List<InetAddress>> resolve(OriginResolver r, String name, TestDns server) {
        EventLoop loop = group.next();
        return r.resolve(name, List.of(ConnectRequests.resolver(server.address())), loop).awaitUninterruptibly();
    }

    @Test
    void returnsBothFamiliesIpv4First() throws Exception {
        try (OriginResolver r = new OriginResolver()) {
            Future<List<InetAddress>> f = resolve(r, "both.vpc.test", dns);
            assertTrue(f.isSuccess(), String.valueOf(f.cause()));
            assertEquals(List.of(InetAddress.getByName("10.1.2.3"), InetAddress.getByName("fd00::5")), f.getNow());
        }
    }

    @Test
    void eachResolverSetHasItsOwnAnswers() throws Exception {
        try (OriginResolver r = new OriginResolver()) {
            assertEquals(List.of(InetAddress.getByName("10.0.0.1")), resolve(r, "same.vpc.test", dns).getNow());
            assertEquals(List.of(InetAddress.getByName("10.0.0.2")), resolve(r, "same.vpc.test", otherDns).getNow());
        }
    }

    @Test
    void servfailIsNamed() {
        try (OriginResolver r = new OriginResolver()) {
            Future<List<InetAddress>> f = resolve(r, "servfail.vpc.test", dns);
            assertInstanceOf(OriginResolver.DnsFailure.class, f.cause());
            assertTrue(f.cause().getMessage().contains("servfail.vpc.test"), f.cause().getMessage());
            assertTrue(f.cause().getMessage().contains("SERVFAIL"), f.cause().getMessage());
            assertEquals(dev.vpctunnel.proto.ErrorCode.DNS_FAILED, ErrorMapper.toFailure(f.cause()).code());
            assertFalse(ErrorMapper.toFailure(f.cause()).timedOut(), "an answer is no timeout: 502");
        }
    }

    /** resolver_ips [dead, good]: the first lookup waits for the dead one's timeout, the next ones ask the good one first. */
    @Test
    void aResolverThatTimedOutIsAskedLast() throws Exception {
        dns.records.put("first.vpc.test", List.of(InetAddress.getByName("10.0.0.11")));
        dns.records.put("second.vpc.test", List.of(InetAddress.getByName("10.0.0.12")));
        try (OriginResolver r = new OriginResolver(3000);
             DatagramSocket silent = new DatagramSocket(new InetSocketAddress("127.0.0.1", 0))) {
            List<InetSocketAddress> servers = List.of(new InetSocketAddress("127.0.0.1", silent.getLocalPort()),
                    ConnectRequests.resolver(dns.address()));
            long t0 = System.nanoTime();
            Future<List<InetAddress>> first = r.resolve("first.vpc.test", servers, group.next()).awaitUninterruptibly();
            long firstMs = (System.nanoTime() - t0) / 1_000_000;
            assertEquals(List.of(InetAddress.getByName("10.0.0.11")), first.getNow(), String.valueOf(first.cause()));
            assertTrue(firstMs >= 2900, "the first lookup asked the dead server first: " + firstMs + " ms");
            long t1 = System.nanoTime();
            Future<List<InetAddress>> second = r.resolve("second.vpc.test", servers, group.next()).awaitUninterruptibly();
            long secondMs = (System.nanoTime() - t1) / 1_000_000;
            assertEquals(List.of(InetAddress.getByName("10.0.0.12")), second.getNow(), String.valueOf(second.cause()));
            assertTrue(secondMs < 2500, "the next lookup went to the answering server first: " + secondMs + " ms");
        }
    }

    @Test
    void silentServerTimesOut() throws Exception {
        try (OriginResolver r = new OriginResolver(300);
             DatagramSocket silent = new DatagramSocket(new InetSocketAddress("127.0.0.1", 0))) {
            EventLoop loop = group.next();
            long t0 = System.nanoTime();
            Future<List<InetAddress>> f = r.resolve("slow.vpc.test",
                    List.of(new InetSocketAddress("127.0.0.1", silent.getLocalPort())), loop).awaitUninterruptibly();
            assertInstanceOf(OriginResolver.DnsFailure.class, f.cause());
            assertTrue(f.cause().getMessage().contains("slow.vpc.test"), f.cause().getMessage());
            assertTrue(f.cause().getMessage().endsWith("DNS query timed out (asked 127.0.0.1:" + silent.getLocalPort() + ")"),
                    f.cause().getMessage());
            assertTrue(ErrorMapper.toFailure(f.cause()).timedOut(), "504 for a timeout");
            assertTrue(System.nanoTime() - t0 < 10_000_000_000L);
        }
    }

    @Test
    void anAnswerThroughACnameIsKeptNoLongerThanTheCname() throws Exception {
        // the CNAME says 2 s, its target's address 60 s: a moved alias is followed after 2 s, as a caching resolver does
        dns.records.put("target1.vpc.test", List.of(InetAddress.getByName("10.0.0.7")));
        dns.records.put("target2.vpc.test", List.of(InetAddress.getByName("10.0.0.8")));
        dns.cnames.put("alias.vpc.test", "target1.vpc.test");
        dns.ttls.put("alias.vpc.test", 2);
        try (OriginResolver r = new OriginResolver()) {
            assertEquals(List.of(InetAddress.getByName("10.0.0.7")), resolve(r, "alias.vpc.test", dns).getNow());
            dns.cnames.put("alias.vpc.test", "target2.vpc.test");
            assertEquals(List.of(InetAddress.getByName("10.0.0.7")), resolve(r, "alias.vpc.test", dns).getNow(), "cached");
            Thread.sleep(3100);
            assertEquals(List.of(InetAddress.getByName("10.0.0.8")), resolve(r, "alias.vpc.test", dns).getNow(),
                    "the alias moved and its TTL ran out");
        }
    }
}
