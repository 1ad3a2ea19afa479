package dev.vpctunnel.connector.policy;

import io.netty.util.NetUtil;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Arrays;
import java.util.List;

/**
 * Which origin addresses the connector may dial: {@code --deny} wins over {@code --allow}; when an allow list is given,
 * every address outside it is denied. Checked on the address actually dialed (after DNS). The unspecified address
 * (0.0.0.0, ::) is never dialed: it is no destination, and the kernel would connect it to the connector's own host
 * (127.0.0.1, ::1) past a --deny of the loopback networks.
 */
public final class CidrPolicy {
    private final List<Cidr> allow;
    private final List<Cidr> deny;

    /** Throws IllegalArgumentException naming the bad CIDR. */
    public CidrPolicy(List<String> allow, List<String> deny) {
        this.allow = allow == null ? List.of() : parse(allow, "--allow");
        this.deny = deny == null ? List.of() : parse(deny, "--deny");
    }

    /** Each of {@code cidrs}, in order; a bad one throws IllegalArgumentException "{@code flag}: " + why. */
    public static List<Cidr> parse(List<String> cidrs, String flag) {
        return cidrs.stream().map(s -> {
            try {
                return Cidr.parse(s);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(flag + ": " + e.getMessage());
            }
        }).toList();
    }

    /** Null when the address may be dialed, else why not. */
    public String denial(InetAddress address) {
        if (address.isAnyLocalAddress()) {
            return NetUtil.toAddressString(address) + " is the unspecified address, not a destination (it would reach"
                    + " the connector's own host)";
        }
        InetAddress translated = nat64Target(address);
        for (Cidr c : deny) {
            if (c.contains(address)) {
                return NetUtil.toAddressString(address) + " is denied by --deny " + c;
            }
            if (translated != null && c.contains(translated)) {
                return NetUtil.toAddressString(address) + " is denied by --deny " + c + " (a NAT64 gateway would take it to "
                        + NetUtil.toAddressString(translated) + ")";
            }
        }
        if (!allow.isEmpty() && allow.stream().noneMatch(c -> c.contains(address))) {
            return NetUtil.toAddressString(address) + " is outside every --allow network";
        }
        return null;
    }

    /**
     * The IPv4 address an address of RFC 6052's well-known NAT64 prefix 64:ff9b::/96 stands for, or null: where the
     * private network has a NAT64 gateway, 64:ff9b::a00:1 reaches 10.0.0.1, so a --deny of 10.0.0.0/8 denies it too
     * (an --allow of IPv4 networks grants nothing to IPv6 addresses). A network-specific NAT64 prefix is not known here:
     * deny it as an IPv6 network.
     */
    static InetAddress nat64Target(InetAddress address) {
        byte[] a = address.getAddress();
        if (a.length != 16 || !Arrays.equals(a, 0, 12, NAT64_PREFIX, 0, 12)) {
            return null;
        }
        try {
            return InetAddress.getByAddress(Arrays.copyOfRange(a, 12, 16));
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e); // four bytes are always an address
        }
    }

    private static final byte[] NAT64_PREFIX = {0, 0x64, (byte) 0xff, (byte) 0x9b, 0, 0, 0, 0, 0, 0, 0, 0};

    public boolean permits(InetAddress address) {
        return denial(address) == null;
    }
}
