package dev.vpctunnel.core.net;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollDomainDatagramChannel;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.unix.DomainDatagramPacket;
import io.netty.channel.unix.DomainSocketAddress;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.ImmediateEventExecutor;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.logging.Logger;

/**
 * Tells systemd how a {@code Type=notify} service is doing, as sd_notify(3) does: one datagram of newline-separated
 * {@code KEY=VALUE} lines ({@code READY=1} once it serves, {@code STATUS=…} for {@code systemctl status},
 * {@code STOPPING=1} when a drain starts) to the unix datagram socket named by {@code NOTIFY_SOCKET}: a path, or
 * {@code @name} for Linux's abstract namespace. Without the variable (not under systemd, or another Type=) every call
 * does nothing: no socket, no thread.
 *
 * <p>Java has no unix datagram sockets (JEP 380 gave java.nio unix <em>stream</em> sockets only), so this uses Netty's
 * epoll transport: an unbound {@link EpollDomainDatagramChannel} that sends {@link DomainDatagramPacket}s, as
 * sd_notify sends with sendmsg() to an address rather than over a connected socket. Netty's native sendto copies the
 * path's bytes as they are and gives the address their exact length, no terminating NUL added, so a path starting
 * with NUL ("\0name", what "@name" stands for) is exactly the abstract name systemd bound, not "@name" plus a NUL
 * (checked by SystemdNotifyTest against /proc/net/unix, and by scripts/tests/14-systemd-notify.sh with Python's end).
 *
 * <p>Telling systemd is never worth failing for: a missing transport, an address this cannot use or a send that fails
 * is one WARN line, later failures are not repeated (a Type=notify unit then never hears READY=1 and stays starting).
 */
public final class SystemdNotify implements AutoCloseable {
    public static final String ENV = "NOTIFY_SOCKET";
    private static final Logger LOG = Logger.getLogger(SystemdNotify.class.getName());
    /** sizeof(sockaddr_un.sun_path) on Linux; Netty would cut a longer path silently. */
    private static final int SUN_PATH = 108;
    private static final SystemdNotify NONE = new SystemdNotify(null, null, null, null);

    private final String socket;
    private final DomainSocketAddress target;
    private final Channel channel;
    /** The epoll loop this made for itself when the process runs on NIO (-Dvpctunnel.nio), else null. */
    private final EventLoopGroup own;
    private final AtomicBoolean warned = new AtomicBoolean();

    private SystemdNotify(String socket, DomainSocketAddress target, Channel channel, EventLoopGroup own) {
        this.socket = socket;
        this.target = target;
        this.channel = channel;
        this.own = own;
    }

    /** For the socket in NOTIFY_SOCKET, sending from one of {@code group}'s loops (when it is an epoll group). */
    public static SystemdNotify fromEnvironment(EventLoopGroup group) {
        return to(System.getenv(ENV), group);
    }

    /** For {@code socket} (NOTIFY_SOCKET's value; null or empty: does nothing). */
    public static SystemdNotify to(String socket, EventLoopGroup group) {
        if (socket == null || socket.isEmpty()) {
            return NONE;
        }
        String path;
        if (socket.startsWith("/")) {
            path = socket;
        } else if (socket.startsWith("@") && socket.length() > 1) {
            path = "\0" + socket.substring(1); // the abstract namespace: a leading NUL, no file
        } else { // newer systemd may name an AF_VSOCK address ("vsock:CID:PORT"), for virtual machines
            return unusable(socket, "neither an absolute path nor an @abstract name (this process speaks unix sockets only)");
        }
        if (path.getBytes(StandardCharsets.UTF_8).length > SUN_PATH) {
            return unusable(socket, "longer than a unix socket address may be (" + SUN_PATH + " bytes)");
        }
        if (!Epoll.isAvailable()) {
            Throwable why = Epoll.unavailabilityCause();
            return unusable(socket, "Netty's native epoll transport, which sends unix datagrams, is unavailable here ("
                    + (why == null ? "unknown cause" : why.getMessage()) + ")");
        }
        EventLoopGroup own = Transports.epoll() ? null
                : new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory("systemd-notify", true), EpollIoHandler.newFactory());
        ChannelFuture registered = new Bootstrap().group(own != null ? own : group).channel(EpollDomainDatagramChannel.class)
                .option(ChannelOption.DATAGRAM_CHANNEL_ACTIVE_ON_REGISTRATION, true) // unbound: it only sends
                .option(ChannelOption.AUTO_READ, false)
                .handler(new ChannelInboundHandlerAdapter())
                .register();
        if (!registered.awaitUninterruptibly(5, TimeUnit.SECONDS) || !registered.isSuccess()) {
            registered.channel().close();
            if (own != null) {
                own.shutdownGracefully(0, 1, TimeUnit.SECONDS);
            }
            return unusable(socket, "cannot open a unix datagram socket: " + (registered.cause() == null ? "timed out"
                    : why(registered.cause())));
        }
        return new SystemdNotify(socket, new DomainSocketAddress(path), registered.channel(), own);
    }

    private static SystemdNotify unusable(String socket, String why) {
        LOG.warning(() -> ENV + "=" + socket + ": " + why + "; systemd does not hear when this process is ready or stopping");
        return NONE;
    }

    /** Whether messages go anywhere (NOTIFY_SOCKET was set and usable). */
    public boolean enabled() {
        return channel != null;
    }

    /** READY=1: the service serves; {@code status} shows in systemctl status. */
    public Future<Void> ready(String status) {
        return send("READY=1\nSTATUS=" + oneLine(status));
    }

    /** STATUS= alone: what systemctl status shows, while starting too. */
    public Future<Void> status(String status) {
        return send("STATUS=" + oneLine(status));
    }

    /** STOPPING=1: the service began to stop (systemd shows "deactivating" and waits for the exit). */
    public Future<Void> stopping(String status) {
        return send("STOPPING=1\nSTATUS=" + oneLine(status));
    }

    /**
     * Sends {@code state} (KEY=VALUE lines) as one datagram, from any thread; messages sent from one thread arrive in
     * that order. Completes when sent; a failure completes it failed and logs once.
     */
    Future<Void> send(String state) {
        if (channel == null) {
            return ImmediateEventExecutor.INSTANCE.newSucceededFuture(null);
        }
        ChannelFuture f = channel.writeAndFlush(new DomainDatagramPacket(ByteBufUtil.writeUtf8(channel.alloc(), state), target));
        f.addListener(done -> {
            if (!done.isSuccess()) {
                int nl = state.indexOf('\n');
                String key = nl < 0 ? state : state.substring(0, nl);
                String why = why(done.cause());
                if (warned.compareAndSet(false, true)) {
                    LOG.warning(() -> "cannot tell systemd " + key + " at " + ENV + "=" + socket + ": " + why
                            + " (further failures are logged at debug level)");
                } else {
                    LOG.fine(() -> "cannot tell systemd " + key + ": " + why);
                }
            }
        });
        return f;
    }

    /** Netty's native send throws ENOENT as a FileNotFoundException without a message. */
    private static String why(Throwable t) {
        if (t.getMessage() != null) {
            return NativeErrors.text(t.getMessage());
        }
        return t instanceof java.io.FileNotFoundException ? "no socket at that path" : t.getClass().getSimpleName();
    }

    /** STATUS is one line: a newline in it would start another KEY=VALUE. */
    private static String oneLine(String s) {
        return s.replace('\n', ' ').replace('\r', ' ');
    }

    /** Closes the socket once what was sent before left; blocks for at most a second. Not on an event loop. */
    @Override
    public void close() {
        if (channel == null) {
            return;
        }
        channel.close().awaitUninterruptibly(1, TimeUnit.SECONDS);
        if (own != null) {
            own.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(2, TimeUnit.SECONDS);
        }
    }
}
