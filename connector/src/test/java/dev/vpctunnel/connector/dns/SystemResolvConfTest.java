package dev.vpctunnel.connector.dns;

import dev.vpctunnel.connector.origin.TestDns;
import dev.vpctunnel.core.net.Transports;
import io.netty.channel.EventLoopGroup;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Requests without resolver IPs use the system resolver: a resolv.conf rewritten while the connector runs (a new DHCP
 * lease, a VPN) takes effect within seconds, name servers and search domains alike, as with cloudflared.
 */
class SystemResolvConfTest {
    @TempDir
    Path tmp;

    @Test
    void aRewrittenResolvConfTakesEffectWithinSeconds() throws Exception {
        EventLoopGroup group = Transports.group(1, "resolv-conf-test");
        try (TestDns a = new TestDns(); TestDns b = new TestDns()) {
            a.records.put("svc.corp.test", List.of(InetAddress.getByName("10.0.0.1")));
            b.records.put("svc.lab.test", List.of(InetAddress.getByName("10.0.0.2")));
            Path conf = tmp.resolve("resolv.conf");
            Files.writeString(conf, "nameserver " + dotted(a) + "\nsearch corp.test\noptions ndots:1\n");
            try (OriginResolver r = new OriginResolver(2_000, conf)) {
                assertEquals(List.of(InetAddress.getByName("10.0.0.1")), r.resolve("svc", List.of(), group.next()).get(10, TimeUnit.SECONDS));
                Path next = tmp.resolve("resolv.conf.new");
                Files.writeString(next, "# rewritten\nnameserver " + dotted(b) + "\nsearch lab.test\n");
                Files.move(next, conf, java.nio.file.StandardCopyOption.REPLACE_EXISTING, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
                Files.setLastModifiedTime(conf, FileTime.fromMillis(System.currentTimeMillis() + 10_000));
                long start = System.nanoTime();
                List<InetAddress> got = List.of();
                while (System.nanoTime() - start < TimeUnit.SECONDS.toNanos(12)) {
                    io.netty.util.concurrent.Future<List<InetAddress>> f = r.resolve("svc", List.of(), group.next()).await();
                    if (f.isSuccess()) {
                        got = f.getNow();
                        if (got.equals(List.of(InetAddress.getByName("10.0.0.2")))) {
                            break;
                        }
                    }
                    Thread.sleep(250);
                }
                long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
                assertEquals(List.of(InetAddress.getByName("10.0.0.2")), got, "the new name server and search domain after " + ms + " ms");
                assertTrue(ms < TimeUnit.NANOSECONDS.toMillis(SystemResolvConf.CHECK_NANOS) + 3_000, ms + " ms");
            }
        } finally {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        }
    }

    /** Netty's resolv.conf syntax for a name server on another port: 127.0.0.1.PORT. */
    private static String dotted(TestDns dns) {
        return dns.address().replace(':', '.');
    }
}
