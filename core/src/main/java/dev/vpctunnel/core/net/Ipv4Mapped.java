package dev.vpctunnel.core.net;

import java.util.Arrays;

/**
 * IPv4-mapped IPv6 addresses (::ffff:a.b.c.d, RFC 4291 2.5.5.2). Sockets dial them as their IPv4 address, so routes,
 * policies and lookups must treat them as that address too.
 */
public final class Ipv4Mapped {
    private Ipv4Mapped() {
    }

    /** Whether these 16 bytes are ::ffff:a.b.c.d. */
    public static boolean is(byte[] address) {
        if (address.length != 16 || address[10] != (byte) 0xff || address[11] != (byte) 0xff) {
            return false;
        }
        for (int i = 0; i < 10; i++) {
            if (address[i] != 0) {
                return false;
            }
        }
        return true;
    }

    /** The IPv4 address's 4 bytes if {@code address} is IPv4-mapped; else {@code address} itself. */
    public static byte[] unmap(byte[] address) {
        return is(address) ? Arrays.copyOfRange(address, 12, 16) : address;
    }
}
