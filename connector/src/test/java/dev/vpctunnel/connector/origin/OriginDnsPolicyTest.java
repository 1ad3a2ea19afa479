package dev.vpctunnel.connector.origin;

import dev.vpctunnel.proto.ConnectError;
import dev.vpctunnel.proto.ConnectRequest;
import dev.vpctunnel.proto.ErrorCode;
import dev.vpctunnel.proto.Scheme;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** Hostnames resolved by the request's resolvers (an in-process DNS server), and the --allow/--deny policy. */
class OriginDnsPolicyTest {
    static TestDns dns;
    static TestOrigin origin;
    static TestOrigin origin6;
    static TestLink link;

    @BeforeAll
    static void start() throws Exception {
        dns = new TestDns();
        origin = new TestOrigin("127.0.0.1", null);
        origin6 = new TestOrigin("::1", null);
        dns.records.put("api.vpc.test", List.of(InetAddress.getByName("127.0.0.1")));
        dns.records.put("v6only.vpc.test", List.of(InetAddress.getByName("::1")));
        dns.records.put("denied.vpc.test", List.of(InetAddress.getByName("127.0.0.3")));
        dns.records.put("cached.vpc.test", List.of(InetAddress.getByName("127.0.0.1")));
        dns.records.put("zero.vpc.test", List.of(InetAddress.getByName("0.0.0.0")));
        link = new TestLink(new OriginConfig(List.of(), List.of(), List.of("127.0.0.3/32", "fd00::/8")));
    }

    @AfterAll
    static void stop() {
        link.close();
        origin.close();
        origin6.close();
        dns.close();
    }

    static ConnectRequest.Builder host(String name, int port) {
        return ConnectRequest.newBuilder().setHostname(name).setPort(port).setScheme(Scheme.HTTP).setServerName(name)
                .setConnectTimeoutMs(3000).addResolverIps(dns.address());
    }

    private static ConnectError failure(ConnectRequest cr) throws Exception {
        TestLink.Fetch f = link.get(cr, "/hello");
        assertEquals(502, f.response().status().code());
        ConnectError e = TestLink.error(f.response());
        assertNotNull(e);
        return e;
    }

    @Test
    void hostnameResolvesThroughTheRequestsResolver() throws Exception {
        TestLink.Fetch f = link.get(host("api.vpc.test", origin.port()).build(), "/hello");
        assertEquals(201, f.response().status().code());
        assertEquals("hello world", f.bodyText());
    }

    @Test
    void ipv6OnlyHostname() throws Exception {
        TestLink.Fetch f = link.get(host("v6only.vpc.test", origin6.port()).build(), "/hello");
        assertEquals(201, f.response().status().code());
    }

    @Test
    void requestResolverAnswersDifferentlyFromTheSystemResolver() throws Exception {
        // This machine's own name: the system resolver (hosts file) gives an IPv4 address where nothing listens on
        // origin6's port; the private network's resolver says ::1, where origin6 listens.
        String self = InetAddress.getLocalHost().getHostName();
        InetAddress system = InetAddress.getByName(self);
        assumeTrue(system instanceof java.net.Inet4Address, "the host name resolves to IPv4 locally");
        dns.records.put(self.toLowerCase(java.util.Locale.ROOT), List.of(InetAddress.getByName("::1")));
        TestLink.Fetch viaPrivate = link.get(host(self, origin6.port()).build(), "/hello");
        assertEquals(201, viaPrivate.response().status().code(), String.valueOf(TestLink.error(viaPrivate.response())));
        ConnectError viaSystem = failure(host(self, origin6.port()).clearResolverIps().build());
        assertEquals(ErrorCode.CONNECT_FAILED, viaSystem.getCode());
        assertTrue(viaSystem.getMessage().contains(system.getHostAddress()), viaSystem.getMessage());
    }

    @Test
    void nxdomainIsDnsFailedNamingTheHost() throws Exception {
        ConnectError e = failure(host("missing.vpc.test", origin.port()).build());
        assertEquals(ErrorCode.DNS_FAILED, e.getCode());
        assertTrue(e.getMessage().contains("missing.vpc.test"), e.getMessage());
        assertTrue(e.getMessage().contains("NXDOMAIN"), e.getMessage());
    }

    @Test
    void answersAreCachedPerResolverSet() throws Exception {
        link.get(host("cached.vpc.test", origin.port()).build(), "/hello").bodyText();
        int after = dns.queries.get();
        for (int i = 0; i < 5; i++) {
            assertEquals(201, link.get(host("cached.vpc.test", origin.port()).build(), "/hello").response().status().code());
        }
        assertEquals(after, dns.queries.get(), "answers within their TTL come from the cache");
    }

    @Test
    void denyListedAddressBehindAHostnameIsDenied() throws Exception {
        ConnectError e = failure(host("denied.vpc.test", origin.port()).build());
        assertEquals(ErrorCode.DESTINATION_DENIED, e.getCode());
        assertTrue(e.getMessage().contains("127.0.0.3"), e.getMessage());
        assertTrue(e.getMessage().contains("denied.vpc.test"), e.getMessage());
    }

    @Test
    void denyListedLiteralAddressIsDenied() throws Exception {
        ConnectRequest cr = ConnectRequest.newBuilder().addAddresses("fd00::1").setPort(80).setScheme(Scheme.HTTP)
                .setServerName("x.internal").build();
        ConnectError e = failure(cr);
        assertEquals(ErrorCode.DESTINATION_DENIED, e.getCode());
        assertTrue(e.getMessage().contains("fd00::1"), e.getMessage());
    }

    @Test
    void allowListLeavesEverythingElseOut() throws Exception {
        try (TestLink allowOnly = new TestLink(new OriginConfig(List.of(), List.of("10.0.0.0/8", "::1/128"), List.of()))) {
            ConnectRequest v4 = ConnectRequest.newBuilder().addAddresses("127.0.0.1").setPort(origin.port())
                    .setScheme(Scheme.HTTP).setServerName("a").build();
            TestLink.Fetch f = allowOnly.get(v4, "/hello");
            ConnectError e = TestLink.error(f.response());
            assertEquals(ErrorCode.DESTINATION_DENIED, e.getCode());
            assertTrue(e.getMessage().contains("127.0.0.1"), e.getMessage());
            ConnectRequest v6 = ConnectRequest.newBuilder().addAddresses("::1").setPort(origin6.port())
                    .setScheme(Scheme.HTTP).setServerName("a").build();
            assertEquals(201, allowOnly.get(v6, "/hello").response().status().code());
        }
    }

    @Test
    void theUnspecifiedAddressCannotReachTheConnectorsOwnHostPastADenyOfLoopback() throws Exception {
        // The kernel connects 0.0.0.0 and :: to the local host: with loopback denied, neither may reach origin6 (::1).
        try (TestLink noLoopback = new TestLink(new OriginConfig(List.of(), List.of(), List.of("127.0.0.0/8", "::1/128")))) {
            int before = origin6.connections.get();
            for (String literal : List.of("::1", "0.0.0.0", "::", "::ffff:0.0.0.0")) {
                ConnectRequest cr = ConnectRequest.newBuilder().addAddresses(literal).setPort(origin6.port())
                        .setScheme(Scheme.HTTP).setServerName("local.internal").setConnectTimeoutMs(3000).build();
                ConnectError e = TestLink.error(noLoopback.get(cr, "/hello").response());
                assertNotNull(e, literal + " reached the connector's own host");
                assertEquals(ErrorCode.DESTINATION_DENIED, e.getCode(), literal + ": " + e.getMessage());
            }
            ConnectError e = TestLink.error(noLoopback.get(host("zero.vpc.test", origin6.port()).build(), "/hello").response());
            assertNotNull(e, "a name resolving to 0.0.0.0 reached the connector's own host");
            assertEquals(ErrorCode.DESTINATION_DENIED, e.getCode(), e.getMessage());
            assertTrue(e.getMessage().contains("0.0.0.0") && e.getMessage().contains("zero.vpc.test"), e.getMessage());
            assertEquals(before, origin6.connections.get(), "the origin on ::1 was never connected to");
        }
    }

    @Test
    void aDenyWrittenIpv4MappedDeniesTheIpv4Addresses() throws Exception {
        // IPv4-mapped destinations are dialed as IPv4: a --deny in mapped form must hold the IPv4 addresses
        try (TestLink mappedDeny = new TestLink(new OriginConfig(List.of(), List.of(), List.of("::ffff:127.0.0.0/104")))) {
            for (String literal : List.of("127.0.0.1", "::ffff:127.0.0.1")) {
                ConnectRequest cr = ConnectRequest.newBuilder().addAddresses(literal).setPort(origin.port())
                        .setScheme(Scheme.HTTP).setServerName("a.internal").build();
                ConnectError e = TestLink.error(mappedDeny.get(cr, "/hello").response());
                assertNotNull(e, literal + " was dialed past --deny ::ffff:127.0.0.0/104");
                assertEquals(ErrorCode.DESTINATION_DENIED, e.getCode(), literal + ": " + e.getMessage());
            }
        }
    }

    @Test
    void dnsRebindingBetweenTwoFetchesIsCheckedOnTheNewAddress() throws Exception {
        // TTL 0 ("ttl0." names): each fetch resolves again; the policy applies to what the name says now
        String name = "ttl0.rebind.vpc.test";
        dns.records.put(name, List.of(InetAddress.getByName("127.0.0.1")));
        assertEquals(201, link.get(host(name, origin.port()).build(), "/hello").response().status().code());
        int connections = origin.connections.get();
        for (String rebound : List.of("127.0.0.3", "0.0.0.0")) {
            dns.records.put(name, List.of(InetAddress.getByName(rebound)));
            ConnectError e = failure(host(name, origin.port()).build());
            assertEquals(ErrorCode.DESTINATION_DENIED, e.getCode(), e.getMessage());
            assertTrue(e.getMessage().contains(rebound), e.getMessage());
        }
        assertEquals(connections, origin.connections.get(), "the pooled connection to the old address was not reused");
    }
}
