package dev.vpctunnel.edge.api;

import dev.vpctunnel.core.net.RequestDeadline;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.timeout.IdleStateHandler;

import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Builds the admin API pipeline: idle timeout (120 s), a deadline for each request to arrive whole ({@link
 * #REQUEST_TIMEOUT}, so one byte now and then cannot hold a connection), codec, bounded aggregation (413 over 1 MiB),
 * the API handler.
 */
final class ApiInitializer extends ChannelInitializer<SocketChannel> {
    static final int MAX_BODY = 1024 * 1024;

    /** How long a request (head and body) may take to arrive, from the connection's start or the request's first byte. */
    static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(30);

    private final ApiRouter router;
    private final ExecutorService executor;
    private final Duration requestTimeout;

    ApiInitializer(ApiRouter router, ExecutorService executor, Duration requestTimeout) {
        this.router = router;
        this.executor = executor;
        this.requestTimeout = requestTimeout;
    }

    @Override
    protected void initChannel(SocketChannel ch) {
        RequestDeadline deadline = new RequestDeadline(requestTimeout);
        ch.pipeline()
                .addLast("idle", new IdleStateHandler(0, 0, 120, TimeUnit.SECONDS))
                .addLast("deadline", deadline.bytes())
                .addLast("codec", new HttpServerCodec(8192, 16384, 8192))
                .addLast("deadline-requests", deadline.requests())
                .addLast("aggregator", new BoundedAggregator(MAX_BODY))
                .addLast("api", new ApiHttpHandler(router, executor));
    }
}
