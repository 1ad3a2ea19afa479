package dev.vpctunnel.edge.directory;

import dev.vpctunnel.core.net.Ipv4Mapped;
import dev.vpctunnel.core.net.Ipv4Text;
import io.netty.util.NetUtil;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Arrays;

/** An IPv4 or IPv6 prefix, normalised (host bits cleared). Parsing never does a DNS lookup. */
public final class Cidr {
    private final byte[] network;
    private final int prefix;

    private Cidr(byte[] network, int prefix) {
        this.network = network;
        this.prefix = prefix;
    }

    /**
     * Parses "10.0.0.0/24", "fd00::/64", or a bare address (a /32 or /128). An IPv4-mapped network of /96 or longer
     * ("::ffff:10.0.0.0/120") is the IPv4 network it maps (10.0.0.0/24).
     */
    public static Cidr parse(String s) {
        if (s == null || s.isBlank()) {
            throw new IllegalArgumentException("a CIDR is required, as 10.0.0.0/24 or fd00::/64");
        }
        String v = s.trim();
        int slash = v.indexOf('/');
        String addr = slash < 0 ? v : v.substring(0, slash);
        if (Ipv4Text.hasLeadingZeroOctet(addr)) {
            throw new IllegalArgumentException(Ipv4Text.leadingZero(s));
        }
        byte[] bytes = parseIp(addr);
        if (bytes == null) {
            throw new IllegalArgumentException("'" + s + "' is not a CIDR (bad address)");
        }
        int max = bytes.length * 8;
        int prefix = max;
        if (slash >= 0) {
            String p = v.substring(slash + 1);
            if (p.isEmpty() || p.length() > 3 || !p.chars().allMatch(Character::isDigit)) {
                throw new IllegalArgumentException("'" + s + "' is not a CIDR (bad prefix length)");
            }
            prefix = Integer.parseInt(p);
            if (prefix > max) {
                throw new IllegalArgumentException("'" + s + "' is not a CIDR (prefix length above " + max + ")");
            }
        }
        if (prefix >= 96 && Ipv4Mapped.is(bytes)) {
            // the gateway matches an IPv4-mapped destination as its IPv4 address: so must the route, or it never matches
            return new Cidr(mask(Ipv4Mapped.unmap(bytes), prefix - 96), prefix - 96);
        }
        return new Cidr(mask(bytes, prefix), prefix);
    }

    /**
     * The bytes of an IPv4 or IPv6 literal, or null; zone ids, IPv4 octets with a leading zero and brackets (a URL's
     * way to write an address, which Netty's check lets through) are refused.
     */
    public static byte[] parseIp(String s) {
        if (s == null || s.isEmpty() || s.indexOf('%') >= 0 || s.indexOf('[') >= 0 || Ipv4Text.hasLeadingZeroOctet(s)) {
            return null;
        }
        if (NetUtil.isValidIpV4Address(s)) {
            return NetUtil.createByteArrayFromIpAddressString(s);
        }
        if (NetUtil.isValidIpV6Address(s)) {
            // IPv6 text (IPv4 text returned above) always gives 16 bytes, IPv4-mapped and -compatible forms too
            return NetUtil.createByteArrayFromIpAddressString(s);
        }
        return null;
    }

    public static boolean isIpv4(String s) {
        return s != null && NetUtil.isValidIpV4Address(s) && !Ipv4Text.hasLeadingZeroOctet(s);
    }

    public static boolean isIpv6(String s) {
        return s != null && s.indexOf(':') >= 0 && parseIp(s) != null; // IPv6 text, by parseIp's rules (IPv4 text has no ':')
    }

    private static byte[] mask(byte[] b, int prefix) {
        byte[] out = b.clone();
        for (int i = 0; i < out.length; i++) {
            int bits = Math.max(0, Math.min(8, prefix - i * 8));
            out[i] = (byte) (out[i] & (0xff00 >> bits));
        }
        return out;
    }

    public int prefix() {
        return prefix;
    }

    public boolean isIpv4() {
        return network.length == 4;
    }

    public boolean contains(InetAddress address) {
        byte[] a = address.getAddress();
        if (a.length != network.length) {
            return false;
        }
        return Arrays.equals(mask(a, prefix), network);
    }

    public InetAddress address() {
        try {
            return InetAddress.getByAddress(network);
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public String toString() {
        return NetUtil.bytesToIpAddress(network) + "/" + prefix;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Cidr c && c.prefix == prefix && Arrays.equals(c.network, network);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(network) * 31 + prefix;
    }
}
