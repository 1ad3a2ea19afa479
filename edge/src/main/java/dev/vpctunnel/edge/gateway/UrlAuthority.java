package dev.vpctunnel.edge.gateway;

import dev.vpctunnel.core.net.Ipv4Text;
import io.netty.util.NetUtil;

/** The authority of a fetch URL (or a Host / :authority header): where it ends, and whether it is exactly host[:port]. */
final class UrlAuthority {
    private UrlAuthority() {
    }

    /** Where an absolute URL's authority ends: at the first '/', '?' or '#' after {@code start}, else the end. */
    static int end(String url, int start) {
        for (int i = start; i < url.length(); i++) {
            char c = url.charAt(i);
            if (c == '/' || c == '?' || c == '#') {
                return i;
            }
        }
        return url.length();
    }

    /**
     * An authority must be exactly {@code host[:port]}: a host name (see {@link #dnsName}, a trailing dot allowed), an
     * IPv4 address or a bracketed IPv6 address (without a zone id), and a port of 1-65535 (or none). Anything else (a path, query or
     * fragment inside Host, credentials, other characters) is refused here, before the authority and the path are put
     * together: "Host: a.internal/evil?q=1" must never become the URL http://a.internal/evil?q=1/x. A char loop, no
     * allocation for a valid authority.
     */
    static void check(String a, String what) throws FetchException {
        if (a.isEmpty()) {
            throw FetchUrl.noRoute(what + " is empty");
        }
        int at = a.indexOf('@');
        if (at >= 0 && end(a, 0) > at) {
            throw FetchUrl.noRoute("credentials in the URL are not allowed");
        }
        int hostEnd;
        int portStart;
        if (a.charAt(0) == '[') {
            int close = a.indexOf(']');
            int zone = a.indexOf('%');
            if (zone > 0 && (close < 0 || zone < close)) {
                // fetch() (the WHATWG URL parser) refuses zone ids; Netty's check would take one and drop it on the way
                throw FetchUrl.noRoute(what + " has an IPv6 zone id ('" + FetchUrl.printable(a.substring(zone, close < 0 ? a.length() : close))
                        + "'), which a URL cannot carry: give the address without it");
            }
            if (close < 0 || !NetUtil.isValidIpV6Address(a.substring(1, close))) {
                throw FetchUrl.noRoute(what + " must be host[:port] with an IPv6 address in brackets, got '" + FetchUrl.printable(a) + "'");
            }
            if (close + 1 < a.length() && a.charAt(close + 1) != ':') {
                throw FetchUrl.noRoute(what + " must be host[:port], got '" + FetchUrl.printable(a) + "'");
            }
            if (leadingZeroOctet(a, 1, close)) {
                throw FetchUrl.noRoute(what + " " + Ipv4Text.leadingZero(FetchUrl.printable(a.substring(1, close))));
            }
            hostEnd = close + 1;
            portStart = close + 2;
        } else {
            hostEnd = a.length();
            for (int i = 0; i < a.length(); i++) {
                char c = a.charAt(i);
                if (c == ':') {
                    hostEnd = i;
                    break;
                }
                if (c >= 0x80) {
                    throw FetchUrl.noRoute(what + " must be ASCII (an international name in its xn-- form), got '" + FetchUrl.printable(a) + "'");
                }
                if (!FetchUrl.letter(c) && !(c >= '0' && c <= '9') && c != '-' && c != '.' && c != '_') {
                    throw FetchUrl.noRoute(what + " must be host[:port] (a name, an IPv4 address or an [IPv6] address), got '"
                            + FetchUrl.printable(a) + "'");
                }
            }
            portStart = hostEnd + 1;
            String host = a.substring(0, hostEnd);
            if (host.isEmpty()) {
                throw FetchUrl.noRoute(what + " has no host: '" + FetchUrl.printable(a) + "'");
            }
            if (!FetchUrl.dnsName(host.endsWith(".") ? host.substring(0, host.length() - 1) : host) && !NetUtil.isValidIpV4Address(host)) {
                throw FetchUrl.noRoute(what + " '" + FetchUrl.printable(host) + "' is neither a valid host name nor an IPv4 address");
            }
            if (leadingZeroOctet(a, 0, hostEnd) && NetUtil.isValidIpV4Address(host)) {
                throw FetchUrl.noRoute(what + " " + Ipv4Text.leadingZero(FetchUrl.printable(host)));
            }
        }
        if (portStart <= a.length()) {
            int port = 0;
            int digits = a.length() - portStart;
            for (int i = portStart; i < a.length(); i++) {
                char c = a.charAt(i);
                if (c < '0' || c > '9' || digits > 5) {
                    port = -1;
                    break;
                }
                port = port * 10 + (c - '0');
            }
            if (digits > 0 && (port < 1 || port > 65535)) {
                throw FetchUrl.noRoute(what + " '" + FetchUrl.printable(a) + "': port must be 1-65535");
            }
        }
    }

    /** Whether dotted IPv4 text in s[from, to) (or after its last ':') has an octet as 010: fetch() reads octal, Netty decimal. */
    private static boolean leadingZeroOctet(String s, int from, int to) {
        int start = from;
        boolean dotted = false;
        for (int i = from; i < to; i++) {
            char c = s.charAt(i);
            if (c == ':') {
                start = i + 1;
                dotted = false;
            } else if (c == '.') {
                dotted = true;
            }
        }
        if (!dotted) {
            return false;
        }
        for (int i = start; i + 1 < to; i++) {
            char next = s.charAt(i + 1);
            if ((i == start || s.charAt(i - 1) == '.') && s.charAt(i) == '0' && next >= '0' && next <= '9') {
                return true;
            }
        }
        return false;
    }
}
