package dev.vpctunnel.core.net;

import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollDatagramChannel;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.DatagramChannel;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioDatagramChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.util.concurrent.DefaultThreadFactory;

/** Native epoll when the platform has it, NIO otherwise. */
public final class Transports {
    private static final boolean EPOLL = Epoll.isAvailable() && !Boolean.getBoolean("vpctunnel.nio");

    private Transports() {
    }

    public static boolean epoll() {
        return EPOLL;
    }

    /**
     * An event loop group of {@code threads} loops; 0 means one per core (Netty's default is two per core: measured
     * side by side on 2 cores, one per core gave 1.08x req/s at 1 KiB x 50 and 1.54x MB/s at 1 MiB x 50 with p99
     * 0.62-0.67x, scripts/BENCH.md).
     */
    public static EventLoopGroup group(int threads, String name) {
        if (threads <= 0) {
            threads = io.netty.util.NettyRuntime.availableProcessors();
        }
        IoHandlerFactory f = EPOLL ? EpollIoHandler.newFactory() : NioIoHandler.newFactory();
        return new MultiThreadIoEventLoopGroup(threads, new DefaultThreadFactory(name, true), f);
    }

    public static Class<? extends SocketChannel> socket() {
        return EPOLL ? EpollSocketChannel.class : NioSocketChannel.class;
    }

    public static Class<? extends ServerChannel> server() {
        return EPOLL ? EpollServerSocketChannel.class : NioServerSocketChannel.class;
    }

    public static Class<? extends DatagramChannel> datagram() {
        return EPOLL ? EpollDatagramChannel.class : NioDatagramChannel.class;
    }

    /** Parses HOST:PORT or [V6]:PORT. */
    public static java.net.InetSocketAddress parseHostPort(String s, String what) {
        return parse(s, what, 1);
    }

    /** Like {@link #parseHostPort} for a listen address, where port 0 means any free port. */
    public static java.net.InetSocketAddress parseListen(String s, String what) {
        java.net.InetSocketAddress a = parse(s, what, 0);
        return new java.net.InetSocketAddress(a.getHostString(), a.getPort());
    }

    private static java.net.InetSocketAddress parse(String s, String what, int minPort) {
        String v = s.trim();
        if (v.contains("://") || v.contains("/")) {
            throw new IllegalArgumentException(what + ": expected HOST:PORT, without a scheme or path, as 10.0.0.1:7844, got '"
                    + s + "'");
        }
        int close = v.startsWith("[") ? v.indexOf(']') : -1;
        if (close > 0 && (close == v.length() - 1 || v.charAt(close + 1) != ':')) {
            throw new IllegalArgumentException(what + ": expected [IPv6]:PORT (the port is missing), as [::1]:7844, got '" + s + "'");
        }
        int colon = v.lastIndexOf(':');
        if (colon <= 0 || colon == v.length() - 1) {
            throw new IllegalArgumentException(what + ": expected HOST:PORT, got '" + s + "'");
        }
        String host = v.substring(0, colon);
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        } else if (host.indexOf(':') >= 0) {
            throw new IllegalArgumentException(what + ": an IPv6 address must be in brackets, as [::1]:7844, got '" + s + "'");
        }
        int port;
        try {
            port = Integer.parseInt(v.substring(colon + 1));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(what + ": port is not a number in '" + s + "'");
        }
        if (port < minPort || port > 65535) {
            throw new IllegalArgumentException(what + ": port must be " + minPort + "-65535, got " + port);
        }
        return java.net.InetSocketAddress.createUnresolved(host, port);
    }
}
