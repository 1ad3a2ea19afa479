package dev.vpctunnel.core.net;

import org.junit.jupiter.api.Test;

import java.net.InetSocketAddress;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** HOST:PORT flags (--edge, the listen addresses): what is wrong is what the message says. */
class HostPortTest {
    private static String refusal(String v) {
        return assertThrows(IllegalArgumentException.class, () -> Transports.parseHostPort(v, "--edge")).getMessage();
    }

    @Test
    void addressesAndTheirRefusals() {
        assertEquals(InetSocketAddress.createUnresolved("::1", 7844), Transports.parseHostPort("[::1]:7844", "--edge"));
        assertEquals(InetSocketAddress.createUnresolved("edge.lan", 7844), Transports.parseHostPort(" edge.lan:7844 ", "--edge"));
        assertEquals("--edge: expected [IPv6]:PORT (the port is missing), as [::1]:7844, got '[::1]'", refusal("[::1]"));
        assertEquals("--edge: expected [IPv6]:PORT (the port is missing), as [::1]:7844, got '[::1]7844'", refusal("[::1]7844"));
        assertEquals("--edge: an IPv6 address must be in brackets, as [::1]:7844, got '::1:7844'", refusal("::1:7844"));
        assertEquals("--edge: expected HOST:PORT, got 'edge.lan'", refusal("edge.lan"));
        assertEquals("--edge: port must be 1-65535, got 0", refusal("edge.lan:0"));
        for (String url : new String[] {"https://127.0.0.1:7844", "edge.lan:7844/", "http://[::1]:7844"}) {
            assertEquals("--edge: expected HOST:PORT, without a scheme or path, as 10.0.0.1:7844, got '" + url + "'",
                    refusal(url)); // not the IPv6 message a scheme's colon led to
        }
    }
}
