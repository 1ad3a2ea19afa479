package dev.vpctunnel.connector.origin;

import dev.vpctunnel.proto.ConnectRequest;
import dev.vpctunnel.proto.ErrorCode;
import dev.vpctunnel.proto.Scheme;
import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ConnectRequestsTest {
    static ConnectRequest.Builder base() {
        return ConnectRequest.newBuilder().addAddresses("10.0.0.1").setPort(443).setScheme(Scheme.HTTPS).setServerName("api.internal");
    }

    static void bad(ConnectRequest r, String expected) {
        FetchFailure f = assertThrows(FetchFailure.class, () -> ConnectRequests.validate(r));
        assertEquals(ErrorCode.BAD_REQUEST, f.code());
        assertTrue(f.getMessage().contains(expected), f.getMessage());
    }

    @Test
    void validRequestWithDefaults() throws Exception {
        OriginTarget t = ConnectRequests.validate(base().addAddresses("fd00::1").build());
        assertEquals(List.of(InetAddress.getByName("10.0.0.1"), InetAddress.getByName("fd00::1")), t.addresses());
        assertTrue(t.https());
        assertEquals("api.internal", t.serverName());
        assertEquals(ConnectRequests.DEFAULT_TIMEOUT_MS, t.connectTimeoutMs());
        assertEquals(ConnectRequests.DEFAULT_TIMEOUT_MS, t.tlsTimeoutMs());
    }

    @Test
    void resolverForms() throws Exception {
        assertEquals(new InetSocketAddress(InetAddress.getByName("10.0.0.53"), 53), ConnectRequests.resolver("10.0.0.53"));
        assertEquals(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 5353), ConnectRequests.resolver("127.0.0.1:5353"));
        assertEquals(new InetSocketAddress(InetAddress.getByName("fd00::53"), 53), ConnectRequests.resolver("fd00::53"));
        assertEquals(new InetSocketAddress(InetAddress.getByName("::1"), 5300), ConnectRequests.resolver("[::1]:5300"));
        assertThrows(FetchFailure.class, () -> ConnectRequests.resolver("dns.example"));
        assertThrows(FetchFailure.class, () -> ConnectRequests.resolver("1.2.3.4:99999"));
    }

    @Test
    void invalidRequestsAreBadRequest() {
        bad(base().setScheme(Scheme.SCHEME_UNSPECIFIED).build(), "scheme");
        bad(base().setPort(0).build(), "port");
        bad(base().setPort(70000).build(), "port");
        bad(base().setHostname("also.set").build(), "exactly one");
        bad(base().clearAddresses().build(), "exactly one");
        bad(base().clearAddresses().setHostname("bad host!").build(), "invalid hostname");
        bad(base().addAddresses("not-an-ip").build(), "not-an-ip");
        bad(base().setServerName("a b").build(), "server_name");
        bad(base().addResolverIps("nonsense").build(), "resolver");
    }

    @Test
    void serverNameDefaultsToTheHostOrAddress() {
        assertEquals("10.0.0.1", ConnectRequests.validate(base().clearServerName().build()).serverName());
        assertEquals("db.internal", ConnectRequests.validate(base().clearAddresses().setHostname("db.internal")
                .clearServerName().build()).serverName());
    }

    @Test
    void ipLiteralHostnameNeedsNoDns() throws Exception {
        OriginTarget t = ConnectRequests.validate(base().clearAddresses().setHostname("[fd00::7]").clearServerName().build());
        assertEquals(List.of(InetAddress.getByName("fd00::7")), t.addresses());
        assertEquals("", t.hostname());
        assertEquals("fd00::7", t.serverName());
    }

    @Test
    void happyEyeballsOrderAlternatesFamilies() throws Exception {
        List<InetAddress> in = List.of(InetAddress.getByName("10.0.0.1"), InetAddress.getByName("10.0.0.2"),
                InetAddress.getByName("fd00::1"), InetAddress.getByName("fd00::2"));
        assertEquals(List.of(in.get(0), in.get(2), in.get(1), in.get(3)), HappyEyeballsConnector.interleave(in));
    }
}
