package dev.vpctunnel.connector.cli;

import dev.vpctunnel.core.net.SystemdNotify;
import dev.vpctunnel.core.net.Transports;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollDomainDatagramChannel;
import io.netty.channel.unix.DomainDatagramPacket;
import io.netty.channel.unix.DomainSocketAddress;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** What systemd's socket receives as the count of serving links moves: READY=1 once, STATUS on changes, STOPPING last. */
class SystemdLinksTest {
    @TempDir
    Path dir;

    @Test
    void readyWhenTheFirstLinkServesThenStatusOnChangesAndNothingAfterStopping() throws Exception {
        assumeTrue(Epoll.isAvailable(), "needs Netty's native epoll transport");
        EventLoopGroup group = Transports.group(1, "systemd-links-test");
        BlockingQueue<String> got = new LinkedBlockingQueue<>();
        String sock = dir.resolve("notify.sock").toString();
        Channel systemd = new Bootstrap().group(group).channel(EpollDomainDatagramChannel.class)
                .handler(new SimpleChannelInboundHandler<DomainDatagramPacket>() {
                    @Override
                    protected void channelRead0(ChannelHandlerContext ctx, DomainDatagramPacket p) {
                        got.add(p.content().toString(StandardCharsets.UTF_8));
                    }
                })
                .bind(new DomainSocketAddress(sock)).syncUninterruptibly().channel();
        AtomicInteger serving = new AtomicInteger();
        try (SystemdNotify notify = SystemdNotify.to(sock, group)) {
            SystemdLinks links = new SystemdLinks(notify, serving::get, 4, Duration.ofMillis(10)).start(group);
            assertEquals("STATUS=0 of 4 links registered, connecting", got.poll(5, TimeUnit.SECONDS));
            assertNull(got.poll(100, TimeUnit.MILLISECONDS), "no READY=1 while no link serves, no repeats");
            serving.set(1);
            assertEquals("READY=1\nSTATUS=1 of 4 links registered", got.poll(5, TimeUnit.SECONDS));
            serving.set(4);
            assertEquals("STATUS=4 of 4 links registered", got.poll(5, TimeUnit.SECONDS));
            serving.set(0); // the links dropped: still started, as cloudflared's unit stays active
            assertEquals("STATUS=0 of 4 links registered, connecting", got.poll(5, TimeUnit.SECONDS));
            serving.set(2);
            assertEquals("STATUS=2 of 4 links registered", got.poll(5, TimeUnit.SECONDS), "READY=1 is said once");
            links.stopping("draining 2 links");
            serving.set(0); // the drain
            assertEquals("STOPPING=1\nSTATUS=draining 2 links", got.poll(5, TimeUnit.SECONDS));
            assertNull(got.poll(200, TimeUnit.MILLISECONDS), "nothing after STOPPING=1");
        } finally {
            systemd.close().syncUninterruptibly();
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        }
    }

    @Test
    void withoutNotifySocketNothingIsScheduled() {
        SystemdLinks links = new SystemdLinks(SystemdNotify.to(null, null), () -> {
            throw new AssertionError("sampled without NOTIFY_SOCKET");
        }, 4, Duration.ofMillis(1)).start(null);
        links.stopping("draining"); // no loop: nothing to run, nothing thrown
    }
}
