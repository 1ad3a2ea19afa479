package dev.vpctunnel.core.net;

/** IPv4 text that names different addresses to different readers, refused wherever an address is written. */
public final class Ipv4Text {
    private Ipv4Text() {
    }

    /**
     * Whether s is dotted-quad IPv4 text (alone, or at the end of an IPv6 address) with an octet written with a
     * leading zero, as "010.0.0.1": inet_aton, ping or curl read 010 as octal (8), other software as decimal (10), so
     * what such text names depends on who reads it.
     */
    public static boolean hasLeadingZeroOctet(String s) {
        if (s == null) {
            return false;
        }
        String[] octets = s.substring(s.lastIndexOf(':') + 1).split("\\.", -1);
        if (octets.length != 4) {
            return false;
        }
        boolean leadingZero = false;
        for (String o : octets) {
            if (o.isEmpty() || !o.chars().allMatch(c -> c >= '0' && c <= '9')) {
                return false;
            }
            leadingZero |= o.length() > 1 && o.charAt(0) == '0';
        }
        return leadingZero;
    }

    /** Why s (for which {@link #hasLeadingZeroOctet} holds) is refused. */
    public static String leadingZero(String s) {
        return "'" + s + "' has an IPv4 octet with a leading zero, which is ambiguous (octal to some software, "
                + "decimal to others): write each octet in decimal without leading zeros";
    }
}
