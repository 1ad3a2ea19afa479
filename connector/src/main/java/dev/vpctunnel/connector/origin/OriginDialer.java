package dev.vpctunnel.connector.origin;

import dev.vpctunnel.connector.dns.OriginResolver;
import dev.vpctunnel.connector.policy.CidrPolicy;
import dev.vpctunnel.core.link.LinkHeaders;
import dev.vpctunnel.proto.ErrorCode;
import io.netty.channel.Channel;
import io.netty.channel.EventLoop;
import io.netty.handler.ssl.SslHandler;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.Promise;

import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;

/**
 * Gets an origin connection ready for one request: resolve, check policy on every address to be dialed, reuse an idle
 * pooled connection or dial (happy eyeballs), then TLS with SNI and verification. Fails with a {@link FetchFailure}.
 */
final class OriginDialer {
    static final int MAX_INITIAL_LINE = 8192;
    static final int MAX_HEADER_SIZE = LinkHeaders.MAX_HEAD;
    static final int MAX_CHUNK = 64 * 1024;

    private final OriginResolver resolver;
    private final CidrPolicy policy;
    private final OriginPool pool;
    private final HappyEyeballsConnector connector;
    private final OriginTls tls;

    OriginDialer(OriginResolver resolver, CidrPolicy policy, OriginPool pool, HappyEyeballsConnector connector, OriginTls tls) {
        this.resolver = resolver;
        this.policy = policy;
        this.pool = pool;
        this.connector = connector;
        this.tls = tls;
    }

    /** Completes on {@code loop}. A connection handed to a caller that no longer wants it must be closed by that caller. */
    Future<OriginConnection> dial(OriginTarget t, EventLoop loop) {
        Promise<OriginConnection> promise = loop.newPromise();
        if (t.hostname().isEmpty()) {
            loop.execute(() -> withAddresses(t, t.addresses(), loop, promise));
        } else {
            resolver.resolve(t.hostname(), t.resolvers(), loop).addListener((Future<List<InetAddress>> f) -> {
                if (f.isSuccess()) {
                    withAddresses(t, f.getNow(), loop, promise);
                } else {
                    promise.tryFailure(ErrorMapper.toFailure(f.cause()));
                }
            });
        }
        return promise;
    }

    private void withAddresses(OriginTarget t, List<InetAddress> all, EventLoop loop, Promise<OriginConnection> promise) {
        List<InetAddress> allowed = new ArrayList<>(all.size());
        String firstDenial = null;
        for (InetAddress a : all) {
            String denial = policy.denial(a);
            if (denial == null) {
                allowed.add(a);
            } else if (firstDenial == null) {
                firstDenial = denial;
            }
        }
        if (allowed.isEmpty()) {
            String via = t.hostname().isEmpty() ? "" : " (" + t.hostname() + " resolved to it)";
            promise.tryFailure(new FetchFailure(ErrorCode.DESTINATION_DENIED, "destination denied: " + firstDenial + via));
            return;
        }
        List<InetAddress> order = HappyEyeballsConnector.interleave(allowed);
        for (InetAddress a : order) {
            OriginConnection pooled = pool.acquire(loop, key(t, a));
            if (pooled != null) {
                promise.trySuccess(pooled);
                return;
            }
        }
        connector.connect(order, t.port(), t.connectTimeoutMs(), loop).addListener((Future<Channel> f) -> {
            if (!f.isSuccess()) {
                promise.tryFailure(ErrorMapper.toFailure(f.cause()));
            } else if (!promise.isDone()) {
                setUp(t, f.getNow(), promise);
            } else {
                f.getNow().close();
            }
        });
    }

    private void setUp(OriginTarget t, Channel ch, Promise<OriginConnection> promise) {
        InetAddress remote = ((java.net.InetSocketAddress) ch.remoteAddress()).getAddress();
        OriginConnection conn = new OriginConnection(key(t, remote), pool);
        OriginCodec codec = new OriginCodec(MAX_INITIAL_LINE, MAX_HEADER_SIZE, MAX_CHUNK, conn::idle);
        conn.codec(codec);
        ch.pipeline().addLast("http", codec);
        ch.pipeline().addLast("origin", conn);
        if (!t.https()) {
            promise.trySuccess(conn);
            return;
        }
        SslHandler ssl = tls.newHandler(ch.alloc(), t.serverName(), t.port(), t.tlsTimeoutMs());
        ch.pipeline().addFirst("tls", ssl);
        ch.read();
        ssl.handshakeFuture().addListener(f -> {
            if (f.isSuccess()) {
                if (!promise.trySuccess(conn)) {
                    ch.close();
                }
            } else {
                ch.close();
                promise.tryFailure(ErrorMapper.toFailure(f.cause()));
            }
        });
    }

    private static PoolKey key(OriginTarget t, InetAddress a) {
        return new PoolKey(a, t.port(), t.https(), t.https() ? t.serverName() : "");
    }
}
