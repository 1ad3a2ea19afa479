package dev.vpctunnel.connector.origin;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.socket.nio.NioDatagramChannel;
import io.netty.handler.codec.dns.DatagramDnsQuery;
import io.netty.handler.codec.dns.DatagramDnsQueryDecoder;
import io.netty.handler.codec.dns.DatagramDnsResponse;
import io.netty.handler.codec.dns.DatagramDnsResponseEncoder;
import io.netty.handler.codec.dns.DefaultDnsRawRecord;
import io.netty.handler.codec.dns.DnsQuestion;
import io.netty.handler.codec.dns.DnsRecordType;
import io.netty.handler.codec.dns.DnsResponseCode;
import io.netty.handler.codec.dns.DnsSection;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A tiny authoritative DNS server on 127.0.0.1 (UDP, random port): A/AAAA from a map, NXDOMAIN otherwise. Public so
 * the dns package's tests use it too.
 */
public final class TestDns implements AutoCloseable {
    public final Map<String, List<InetAddress>> records = new ConcurrentHashMap<>();
    /** name -> the name it is an alias of: answered as a CNAME record followed by the target's addresses. */
    public final Map<String, String> cnames = new ConcurrentHashMap<>();
    /** A name's records' TTL in seconds (default 60; names starting "ttl0." have 0). */
    public final Map<String, Integer> ttls = new ConcurrentHashMap<>();
    public final AtomicInteger queries = new AtomicInteger();
    private final EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    private final Bootstrap bootstrap;
    private final Channel channel;
    private final List<Channel> more = new java.util.concurrent.CopyOnWriteArrayList<>();

    public TestDns() throws InterruptedException {
        bootstrap = new Bootstrap().group(group).channel(NioDatagramChannel.class)
                .handler(new ChannelInitializer<NioDatagramChannel>() {
                    @Override
                    protected void initChannel(NioDatagramChannel ch) {
                        ch.pipeline().addLast(new DatagramDnsQueryDecoder(), new DatagramDnsResponseEncoder(), new Answer());
                    }
                });
        channel = bootstrap.bind(new InetSocketAddress("127.0.0.1", 0)).sync().channel();
    }

    /** "127.0.0.1:PORT", as a resolver_ips entry. */
    public String address() {
        return "127.0.0.1:" + ((InetSocketAddress) channel.localAddress()).getPort();
    }

    /** Also answers on another port of 127.0.0.1, with the same records; returns that address. */
    public InetSocketAddress listenAlso() throws InterruptedException {
        Channel ch = bootstrap.bind(new InetSocketAddress("127.0.0.1", 0)).sync().channel();
        more.add(ch);
        return (InetSocketAddress) ch.localAddress();
    }

    @Override
    public void close() {
        more.forEach(ch -> ch.close().syncUninterruptibly());
        channel.close().syncUninterruptibly();
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    private int ttl(String name) {
        return ttls.getOrDefault(name, name.startsWith("ttl0.") ? 0 : 60);
    }

    /** A name in DNS wire form (length-prefixed labels, then 0). */
    private static byte[] wire(String name) {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        for (String label : name.split("\\.")) {
            byte[] b = label.getBytes(java.nio.charset.StandardCharsets.US_ASCII);
            out.write(b.length);
            out.write(b, 0, b.length);
        }
        out.write(0);
        return out.toByteArray();
    }

    private final class Answer extends SimpleChannelInboundHandler<DatagramDnsQuery> {
        @Override
        protected void channelRead0(ChannelHandlerContext ctx, DatagramDnsQuery query) {
            queries.incrementAndGet();
            DatagramDnsResponse response = new DatagramDnsResponse(query.recipient(), query.sender(), query.id());
            response.setRecursionAvailable(true);
            DnsQuestion q = query.recordAt(DnsSection.QUESTION);
            String name = q.name().toLowerCase(Locale.ROOT);
            String key = name.endsWith(".") ? name.substring(0, name.length() - 1) : name;
            response.addRecord(DnsSection.QUESTION, q);
            // a chain of CNAMEs as a recursive resolver answers it: each alias, then the final name's addresses
            for (int hops = 0; cnames.containsKey(key) && hops < 8; hops++) {
                String target = cnames.get(key);
                response.addRecord(DnsSection.ANSWER, new DefaultDnsRawRecord(key + ".", DnsRecordType.CNAME, ttl(key),
                        Unpooled.wrappedBuffer(wire(target))));
                key = target;
            }
            List<InetAddress> addrs = records.get(key);
            if (key.startsWith("servfail.")) {
                response.setCode(DnsResponseCode.SERVFAIL);
            } else if (addrs == null) {
                response.setCode(DnsResponseCode.NXDOMAIN);
            } else {
                for (InetAddress a : addrs) {
                    boolean v4 = a instanceof Inet4Address;
                    if (q.type() == (v4 ? DnsRecordType.A : DnsRecordType.AAAA)) {
                        response.addRecord(DnsSection.ANSWER, new DefaultDnsRawRecord(key + ".", q.type(), ttl(key),
                                Unpooled.wrappedBuffer(a.getAddress())));
                    }
                }
            }
            ctx.writeAndFlush(response);
        }
    }
}
