package dev.vpctunnel.core.net;

import dev.vpctunnel.core.testing.LogCapture;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollDomainDatagramChannel;
import io.netty.channel.unix.DomainDatagramPacket;
import io.netty.channel.unix.DomainSocketAddress;
import io.netty.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** What systemd's end of NOTIFY_SOCKET receives: a unix datagram socket bound to a temporary path or abstract name. */
class SystemdNotifyTest {
    private static EventLoopGroup group;

    @TempDir
    Path dir;

    @BeforeAll
    static void start() {
        assumeTrue(Epoll.isAvailable(), "needs Netty's native epoll transport");
        group = Transports.group(1, "notify-test");
    }

    @AfterAll
    static void stop() {
        if (group != null) {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        }
    }

    /** systemd's side: every datagram that arrives at {@code address}, as text. */
    private static final class Receiver implements AutoCloseable {
        final BlockingQueue<String> got = new LinkedBlockingQueue<>();
        final Channel channel;

        Receiver(String address) {
            channel = new Bootstrap().group(group).channel(EpollDomainDatagramChannel.class)
                    .handler(new SimpleChannelInboundHandler<DomainDatagramPacket>() {
                        @Override
                        protected void channelRead0(ChannelHandlerContext ctx, DomainDatagramPacket p) {
                            got.add(p.content().toString(StandardCharsets.UTF_8));
                        }
                    })
                    .bind(new DomainSocketAddress(address)).syncUninterruptibly().channel();
        }

        String next() throws InterruptedException {
            return got.poll(5, TimeUnit.SECONDS);
        }

        @Override
        public void close() {
            channel.close().syncUninterruptibly();
        }
    }

    @Test
    void readyStatusAndStoppingArriveInOrderAtAPath() throws Exception {
        Path sock = dir.resolve("notify.sock");
        try (Receiver systemd = new Receiver(sock.toString()); SystemdNotify notify = SystemdNotify.to(sock.toString(), group)) {
            assertTrue(notify.enabled());
            notify.status("connecting: 0 of 4 links registered");
            notify.ready("1 of 4 links\nregistered"); // a newline would start a line of its own
            notify.stopping("draining");
            assertEquals("STATUS=connecting: 0 of 4 links registered", systemd.next());
            assertEquals("READY=1\nSTATUS=1 of 4 links registered", systemd.next());
            assertEquals("STOPPING=1\nSTATUS=draining", systemd.next());
            assertNull(systemd.got.poll(100, TimeUnit.MILLISECONDS), "one datagram per message");
        }
    }

    @Test
    void anAtNameIsTheAbstractNamespace() throws Exception {
        String name = "vpctunnel-notify-test-" + UUID.randomUUID();
        try (Receiver systemd = new Receiver("\0" + name); SystemdNotify notify = SystemdNotify.to("@" + name, group)) {
            // the kernel shows an abstract name with '@' for its leading NUL, and any other NUL as '@' too: a trailing
            // one (a path's terminator sent along) would read "@name@", a name systemd's socket does not have
            List<String> unix = Files.readAllLines(Path.of("/proc/net/unix"));
            assertTrue(unix.stream().anyMatch(l -> l.endsWith(" @" + name)), "bound as @" + name);
            assertTrue(notify.ready("up").await(5, TimeUnit.SECONDS));
            assertEquals("READY=1\nSTATUS=up", systemd.next());
        }
    }

    @Test
    void withoutTheVariableNothingIsSentAndNothingLogged() {
        try (LogCapture log = LogCapture.of(SystemdNotify.class, Level.FINE)) {
            for (String unset : new String[] {null, ""}) {
                SystemdNotify notify = SystemdNotify.to(unset, group);
                assertFalse(notify.enabled());
                assertTrue(notify.ready("up").isSuccess());
                assertTrue(notify.stopping("down").isSuccess());
                notify.close();
            }
            assertEquals(List.of(), log.messages());
        }
    }

    @Test
    void anAddressThisCannotUseIsOneWarningNotAFailure() {
        for (String bad : new String[] {"vsock:2:1234", "relative/notify.sock", "@", "/" + "x".repeat(120)}) {
            try (LogCapture log = LogCapture.of(SystemdNotify.class, Level.FINE)) {
                SystemdNotify notify = SystemdNotify.to(bad, group);
                assertFalse(notify.enabled(), bad);
                assertTrue(notify.ready("up").isSuccess());
                assertEquals(1, log.messages().size(), bad + ": " + log.messages());
                assertTrue(log.messages().get(0).startsWith("NOTIFY_SOCKET=" + bad + ": "), log.messages().get(0));
            }
        }
    }

    @Test
    void aSendThatFailsIsOneWarningThenQuiet() throws Exception {
        String missing = dir.resolve("nobody-listens.sock").toString();
        try (LogCapture log = LogCapture.of(SystemdNotify.class, Level.WARNING);
             SystemdNotify notify = SystemdNotify.to(missing, group)) {
            Future<Void> ready = notify.ready("up");
            assertTrue(ready.await(5, TimeUnit.SECONDS));
            assertFalse(ready.isSuccess(), "nothing is bound there");
            Future<Void> stopping = notify.stopping("down");
            assertTrue(stopping.await(5, TimeUnit.SECONDS));
            assertFalse(stopping.isSuccess());
            assertEquals(1, log.messages().size(), "one WARN line: " + log.messages());
            String warn = log.messages().get(0);
            assertTrue(warn.contains("READY=1") && warn.contains(missing) && warn.contains("no socket at that path"), warn);
            // the socket stays usable: systemd's socket may appear (or come back) later
            try (Receiver systemd = new Receiver(missing)) {
                notify.status("back");
                assertEquals("STATUS=back", systemd.next());
            }
        }
    }
}
