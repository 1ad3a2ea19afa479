package dev.vpctunnel.connector.dns;

import org.junit.jupiter.api.Test;

import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** What a dns_failed message says, from the failures Netty's resolver reports (texts as Netty 4.2 words them). */
class OriginResolverReasonTest {
    @Test
    void nodataAndCnameLoopsSayWhatHappened() {
        assertEquals("no A or AAAA records",
                OriginResolver.reason(new UnknownHostException("Failed to resolve 'nodata.t' [A(1), AAAA(28)] after 2 queries ")));
        UnknownHostException loop = new UnknownHostException("Failed to resolve 'loop.t' [A(1), AAAA(28)] after 16 queries ");
        loop.initCause(new IllegalStateException("Exceeded max queries per resolve 16 "));
        assertEquals("the name's CNAME chain is too long or loops", OriginResolver.reason(loop));
        UnknownHostException nx = new UnknownHostException("Failed to resolve 'nx.t' [A(1)] after 1 queries ");
        nx.initCause(new RuntimeException("DnsNameResolverException: NXDOMAIN"));
        assertEquals("NXDOMAIN (no such name)", OriginResolver.reason(nx));
    }

    @Test
    void resolversAreNamedWithoutTheUsualPort() {
        assertEquals("10.0.0.53, 10.0.0.54:5353, [fd00::53]:5353, fd00::54", OriginResolver.servers(List.of(
                new InetSocketAddress("10.0.0.53", 53), new InetSocketAddress("10.0.0.54", 5353),
                new InetSocketAddress("fd00::53", 5353), new InetSocketAddress("fd00::54", 53))));
        assertEquals("the system's resolvers, from resolv.conf", OriginResolver.servers(List.of()));
    }
}
