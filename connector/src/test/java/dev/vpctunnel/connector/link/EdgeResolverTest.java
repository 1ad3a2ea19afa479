package dev.vpctunnel.connector.link;

import dev.vpctunnel.core.link.TunnelToken;
import dev.vpctunnel.core.net.Transports;
import dev.vpctunnel.core.tls.LinkTls;
import dev.vpctunnel.core.tls.Pki;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import org.junit.jupiter.api.Test;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The edge's host name is resolved by the system resolver off the event loops, which carry origin traffic too. */
class EdgeResolverTest {
    @Test
    void edgeNamesResolveOffTheEventLoop() throws Exception {
        EventLoopGroup group = Transports.group(1, "test-resolve");
        Pki.Issued ca = Pki.newCa("edge CA", Duration.ofDays(1));
        LinkConfig cfg = new LinkConfig(new TunnelToken("0123456789abcdef0123456789abcdef", UUID.randomUUID(), new byte[32]),
                List.of(InetSocketAddress.createUnresolved("localhost", 7844)), LinkTls.client(List.of(ca.certificate())), 1,
                "test-connector", "test", Duration.ofSeconds(5), Duration.ofSeconds(15), Duration.ofSeconds(5), 100);
        LinkSupervisor links = new LinkSupervisor(cfg, group, ChannelInboundHandlerAdapter::new);
        try {
            EventLoop loop = group.next();
            Thread loopThread = loop.submit(Thread::currentThread).get(5, TimeUnit.SECONDS);
            CompletableFuture<Thread> resolvedOn = new CompletableFuture<>();
            var f = links.edgeResolver().getResolver(loop).resolve(InetSocketAddress.createUnresolved("localhost", 7844));
            f.addListener(x -> resolvedOn.complete(Thread.currentThread()));
            Thread t = resolvedOn.get(10, TimeUnit.SECONDS);
            assertTrue(f.isSuccess(), String.valueOf(f.cause()));
            assertTrue(f.getNow().getAddress().isLoopbackAddress(), f.getNow().toString());
            assertEquals(7844, f.getNow().getPort());
            assertNotEquals(loopThread, t, "resolved on the event loop");
            assertTrue(t.getName().startsWith("edge-resolver"), t.getName());
        } finally {
            links.stop();
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        }
    }
}
