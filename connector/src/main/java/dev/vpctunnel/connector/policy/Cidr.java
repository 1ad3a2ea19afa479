package dev.vpctunnel.connector.policy;

import dev.vpctunnel.core.net.Ipv4Mapped;
import dev.vpctunnel.core.net.Ipv4Text;
import io.netty.util.NetUtil;

import java.net.InetAddress;
import java.util.Arrays;

/**
 * One IPv4 or IPv6 network in CIDR notation. A bare address is a /32 or /128; an IPv4-mapped network of /96 or longer
 * (::ffff:10.0.0.0/104) is the IPv4 network it maps (10.0.0.0/8).
 */
public record Cidr(byte[] network, int prefix, String text) {

    /** Throws IllegalArgumentException naming the bad value. */
    public static Cidr parse(String s) {
        String v = s == null ? "" : s.trim();
        int slash = v.indexOf('/');
        String addr = slash < 0 ? v : v.substring(0, slash);
        if (addr.startsWith("[") && addr.endsWith("]")) {
            addr = addr.substring(1, addr.length() - 1);
        }
        if (Ipv4Text.hasLeadingZeroOctet(addr)) { // read as decimal here, as octal by other tools: refused, as the edge does
            throw new IllegalArgumentException("invalid CIDR '" + s + "': " + Ipv4Text.leadingZero(addr));
        }
        byte[] bytes = NetUtil.createByteArrayFromIpAddressString(addr);
        if (bytes == null) {
            throw new IllegalArgumentException("invalid CIDR '" + s + "': not an IP address");
        }
        int max = bytes.length * 8;
        int prefix = max;
        if (slash >= 0) {
            try {
                prefix = Integer.parseInt(v.substring(slash + 1));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("invalid CIDR '" + s + "': prefix length is not a number");
            }
            if (prefix < 0 || prefix > max) {
                throw new IllegalArgumentException("invalid CIDR '" + s + "': prefix length must be 0-" + max);
            }
        }
        if (prefix >= 96 && Ipv4Mapped.is(bytes)) {
            // an IPv4-mapped destination is dialed (and checked) as its IPv4 address: so the network must be IPv4 too
            return new Cidr(mask(Ipv4Mapped.unmap(bytes), prefix - 96), prefix - 96, v);
        }
        return new Cidr(mask(bytes, prefix), prefix, v);
    }

    public boolean contains(InetAddress address) {
        byte[] a = address.getAddress();
        return a.length == network.length && Arrays.equals(mask(a, prefix), network);
    }

    private static byte[] mask(byte[] bytes, int prefix) {
        byte[] out = bytes.clone();
        for (int i = 0; i < out.length; i++) {
            int bits = Math.max(0, Math.min(8, prefix - i * 8));
            out[i] = (byte) (out[i] & (0xff << (8 - bits)));
        }
        return out;
    }

    @Override
    public String toString() {
        return text;
    }
}
