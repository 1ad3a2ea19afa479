package dev.vpctunnel.connector.policy;

import io.netty.util.NetUtil;

import java.net.InetAddress;
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
        for (Cidr c : deny) {
            if (c.contains(address)) {
                return NetUtil.toAddressString(address) + " is denied by --deny " + c;
            }
        }
        if (!allow.isEmpty() && allow.stream().noneMatch(c -> c.contains(address))) {
            return NetUtil.toAddressString(address) + " is outside every --allow network";
        }
        return null;
    }

    public boolean permits(InetAddress address) {
        return denial(address) == null;
    }
}
