package dev.vpctunnel.connector.policy;

import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CidrPolicyTest {
    static InetAddress ip(String s) throws Exception {
        return InetAddress.getByName(s);
    }

    @Test
    void noListsAllowEverything() throws Exception {
        CidrPolicy p = new CidrPolicy(List.of(), List.of());
        assertTrue(p.permits(ip("10.1.2.3")));
        assertTrue(p.permits(ip("::1")));
    }

    @Test
    void denyWinsOverAllow() throws Exception {
        CidrPolicy p = new CidrPolicy(List.of("10.0.0.0/8"), List.of("10.0.5.0/24"));
        assertTrue(p.permits(ip("10.0.4.1")));
        assertFalse(p.permits(ip("10.0.5.7")));
        assertTrue(p.denial(ip("10.0.5.7")).contains("10.0.5.7"));
        assertTrue(p.denial(ip("10.0.5.7")).contains("10.0.5.0/24"));
    }

    @Test
    void allowListDeniesEverythingOutside() throws Exception {
        CidrPolicy p = new CidrPolicy(List.of("192.168.0.0/16", "fd00::/8"), List.of());
        assertTrue(p.permits(ip("192.168.3.4")));
        assertTrue(p.permits(ip("fd12::1")));
        assertFalse(p.permits(ip("172.16.0.1")));
        assertFalse(p.permits(ip("fe80::1")));
        assertTrue(p.denial(ip("172.16.0.1")).contains("outside"));
    }

    @Test
    void ipv6AndOddPrefixes() throws Exception {
        CidrPolicy p = new CidrPolicy(List.of(), List.of("2001:db8::/33", "10.0.0.128/25", "127.0.0.1"));
        assertFalse(p.permits(ip("2001:db8:7fff::1")));
        assertTrue(p.permits(ip("2001:db8:8000::1")));
        assertFalse(p.permits(ip("10.0.0.200")));
        assertTrue(p.permits(ip("10.0.0.100")));
        assertFalse(p.permits(ip("127.0.0.1")));
        assertTrue(p.permits(ip("127.0.0.2")));
        assertNull(new CidrPolicy(List.of("0.0.0.0/0"), List.of()).denial(ip("8.8.8.8")));
        // an IPv4 network never matches an IPv6 address and the reverse
        assertTrue(new CidrPolicy(List.of(), List.of("0.0.0.0/0")).permits(ip("::1")));
    }

    /** Where the private network has a NAT64 gateway, 64:ff9b::a.b.c.d reaches a.b.c.d: an IPv4 deny covers it. */
    @Test
    void anIpv4DenyCoversTheNat64FormOfItsAddresses() throws Exception {
        CidrPolicy p = new CidrPolicy(null, List.of("10.0.0.0/8", "169.254.169.254/32"));
        assertEquals("64:ff9b::a00:1 is denied by --deny 10.0.0.0/8 (a NAT64 gateway would take it to 10.0.0.1)",
                p.denial(InetAddress.getByName("64:ff9b::10.0.0.1")));
        assertFalse(p.permits(InetAddress.getByName("64:ff9b::a9fe:a9fe")));
        assertTrue(p.permits(InetAddress.getByName("64:ff9b::192.0.2.1")));
        assertTrue(p.permits(InetAddress.getByName("64:ff9c::10.0.0.1")), "not the NAT64 prefix");
        assertTrue(p.permits(InetAddress.getByName("64:ff9b:0:0:1::a00:1")), "not in 64:ff9b::/96");
        CidrPolicy allowV4 = new CidrPolicy(List.of("10.0.0.0/8"), null);
        assertFalse(allowV4.permits(InetAddress.getByName("64:ff9b::10.0.0.1")), "an IPv4 allow grants no IPv6 address");
    }

    @Test
    void badCidrsAreNamed() {
        for (String bad : List.of("10.0.0.0/33", "::/129", "example.com", "10.0.0.0/x", "", "1.2.3/8")) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new CidrPolicy(List.of(bad), List.of()));
            assertTrue(e.getMessage().contains("--allow") && e.getMessage().contains("'" + bad + "'"), e.getMessage());
        }
    }

    /** 010.0.0.0/8 is 10/8 here and 8/8 to inet_aton: refused, as the edge refuses such addresses. */
    @Test
    void anOctetWithALeadingZeroIsRefused() {
        for (String bad : List.of("010.0.0.0/8", "127.000.000.001/32", "::ffff:10.0.0.01/128")) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new CidrPolicy(List.of(), List.of(bad)));
            assertTrue(e.getMessage().contains("--deny") && e.getMessage().contains("has an IPv4 octet with a leading zero"),
                    e.getMessage());
        }
        new CidrPolicy(List.of("10.0.0.0/8", "0.0.0.0/0", "100.64.0.0/10"), List.of()); // zeros that are whole octets are fine
    }
}
