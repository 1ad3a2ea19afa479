package dev.vpctunnel.connector.origin;

import dev.vpctunnel.connector.dns.OriginResolver;
import dev.vpctunnel.connector.policy.CidrPolicy;
import dev.vpctunnel.core.InputFiles;
import dev.vpctunnel.core.net.Transports;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.util.concurrent.EventExecutor;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Everything one connector needs to make fetches to origins: DNS, policy, TLS trust, the connection pool. Built once;
 * {@link #newStreamHandler()} makes the handler for one fetch stream.
 */
public final class OriginService implements AutoCloseable {
    /** Idle origin connections kept per origin and event loop: above the concurrency a busy binding reaches, so a burst
     * of 500 fetches does not close and redial most connections after every response (cloudflared keeps 100). */
    static final int MAX_IDLE_PER_KEY = 256;
    static final long IDLE_TIMEOUT_MS = 30_000;

    private final OriginResolver resolver = new OriginResolver();
    private final OriginPool pool = new OriginPool(MAX_IDLE_PER_KEY, IDLE_TIMEOUT_MS);
    private final OriginDialer dialer;
    private final LoopChooser loops;
    private final FetchStats stats;

    /** As below, counting into a registry nobody reads. */
    public OriginService(OriginConfig config, EventLoopGroup group) {
        this(config, group, FetchStats.unread());
    }

    /** Throws IllegalArgumentException with a message naming the bad file / CIDR. */
    public OriginService(OriginConfig config, EventLoopGroup group, FetchStats stats) {
        this.stats = stats;
        OriginTls tls = new OriginTls(config.originCaFiles(), config.originCaLabel());
        CidrPolicy policy = new CidrPolicy(config.allowCidrs(), config.denyCidrs());
        Bootstrap template = new Bootstrap()
                .group(group)
                .channel(Transports.socket())
                .option(ChannelOption.AUTO_READ, false)
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.SO_KEEPALIVE, true)
                .handler(new NoopHandler());
        this.dialer = new OriginDialer(resolver, policy, pool, new HappyEyeballsConnector(template), tls);
        this.loops = new LoopChooser(group);
    }

    /** A new handler for one fetch stream channel. */
    public ChannelHandler newStreamHandler() {
        return new OriginStreamHandler(dialer, loops, stats);
    }

    /** For tests. */
    OriginPool pool() {
        return pool;
    }

    @Override
    public void close() {
        pool.close();
        resolver.close();
    }

    /**
     * Origin work runs on the stream's own event loop when it belongs to the group (no thread hand-off), else on one
     * loop of the group fixed per stream loop, so fetches from one link loop keep finding their pooled connections.
     */
    static final class LoopChooser {
        private final EventLoopGroup group;
        private final Set<EventExecutor> members = new HashSet<>();
        private final Map<EventLoop, EventLoop> foreign = new ConcurrentHashMap<>();

        LoopChooser(EventLoopGroup group) {
            this.group = group;
            group.forEach(members::add);
        }

        EventLoop forStream(EventLoop streamLoop) {
            if (members.contains(streamLoop)) {
                return streamLoop;
            }
            return foreign.computeIfAbsent(streamLoop, l -> group.next());
        }
    }

    @ChannelHandler.Sharable
    private static final class NoopHandler extends ChannelInboundHandlerAdapter {
    }
}
