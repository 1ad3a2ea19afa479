package dev.vpctunnel.connector.dns;

import io.netty.resolver.dns.DnsServerAddressStreamProvider;
import io.netty.resolver.dns.DnsServerAddressStreamProviders;
import io.netty.resolver.dns.UnixResolverDnsServerAddressStreamProvider;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.TimeUnit;

/**
 * The system resolver's configuration (/etc/resolv.conf: name servers, search domains, ndots), looked at again at
 * most every {@link #CHECK_NANOS}, as cloudflared's Go resolver does: a DHCP lease or a VPN that rewrites the file
 * takes effect within seconds. Netty alone reads the name servers every 5 minutes and the search domains and ndots
 * once per process.
 */
final class SystemResolvConf {
    static final long CHECK_NANOS = TimeUnit.SECONDS.toNanos(5);
    /** glibc's limit (resolv.conf(5)). */
    private static final int MAX_NDOTS = 15;
    private final Path file;
    private long nextCheck = System.nanoTime();
    private Object stamp;
    private int generation;

    /** What a resolver set uses: read once, when the set is made. */
    record Settings(DnsServerAddressStreamProvider nameServers, List<String> searchDomains, int ndots) {
    }

    SystemResolvConf(Path file) {
        this.file = file;
    }

    /** A number that changes when the file changed (its time, size or identity), checked at most every 5 s. */
    int generation() {
        long now = System.nanoTime();
        synchronized (this) {
            if (now - nextCheck >= 0) {
                nextCheck = now + CHECK_NANOS;
                Object s = stampOf(file);
                if (!Objects.equals(s, stamp)) {
                    stamp = s;
                    generation++;
                }
            }
            return generation;
        }
    }

    private static Object stampOf(Path file) {
        try {
            BasicFileAttributes a = Files.readAttributes(file, BasicFileAttributes.class);
            return List.of(a.lastModifiedTime(), a.size(), String.valueOf(a.fileKey()));
        } catch (IOException e) {
            return "unreadable"; // gone or unreadable: a change too, and Netty's defaults apply
        }
    }

    /** The file as it is now; where it cannot be read, Netty's defaults (its own reading of the platform). */
    Settings read() {
        List<String> lines;
        DnsServerAddressStreamProvider servers;
        try {
            lines = Files.readAllLines(file, java.nio.charset.StandardCharsets.ISO_8859_1);
            servers = new UnixResolverDnsServerAddressStreamProvider(file.toFile());
        } catch (IOException | RuntimeException e) {
            return new Settings(DnsServerAddressStreamProviders.platformDefault(), null, -1);
        }
        List<String> search = List.of();
        int ndots = 1;
        for (String line : lines) {
            String[] w = line.trim().split("\\s+");
            if (w[0].equals("search") || w[0].equals("domain")) {
                List<String> s = new ArrayList<>(); // the last search or domain line wins
                for (int i = 1; i < w.length && !w[i].startsWith("#") && !w[i].startsWith(";"); i++) {
                    s.add(w[i]);
                }
                search = List.copyOf(s);
            } else if (w[0].equals("options")) {
                for (int i = 1; i < w.length; i++) {
                    if (w[i].startsWith("ndots:")) {
                        try {
                            ndots = Math.min(MAX_NDOTS, Math.max(0, Integer.parseInt(w[i].substring(6))));
                        } catch (NumberFormatException e) {
                            // glibc ignores a bad value too
                        }
                    }
                }
            }
        }
        return new Settings(servers, search, ndots);
    }
}
