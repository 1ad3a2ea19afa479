package dev.vpctunnel.edge.api;

import io.netty.channel.ChannelInitializer;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.timeout.IdleStateHandler;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;

/** Builds the admin API pipeline: codec, bounded aggregation (413 over 1 MiB), the API handler. */
final class ApiInitializer extends ChannelInitializer<SocketChannel> {
    static final int MAX_BODY = 1024 * 1024;

    private final ApiRouter router;
    private final ExecutorService executor;

    ApiInitializer(ApiRouter router, ExecutorService executor) {
        this.router = router;
        this.executor = executor;
    }

    @Override
    protected void initChannel(SocketChannel ch) {
        ch.pipeline()
                .addLast("idle", new IdleStateHandler(0, 0, 120, TimeUnit.SECONDS))
                .addLast("codec", new HttpServerCodec(8192, 16384, 8192))
                .addLast("aggregator", new BoundedAggregator(MAX_BODY))
                .addLast("api", new ApiHttpHandler(router, executor));
    }
}
