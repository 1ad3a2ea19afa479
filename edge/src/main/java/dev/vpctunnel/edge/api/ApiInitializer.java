package dev.vpctunnel.edge.api;

import dev.vpctunnel.core.net.RequestDeadline;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.util.ReferenceCountUtil;

import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Builds the admin API pipeline: idle timeout (120 s), a deadline for each request to arrive whole ({@link
 * #REQUEST_TIMEOUT}, so one byte now and then cannot hold a connection), codec, the token check of a request with a
 * body before its body is read ({@link TokenGate}), bounded aggregation (413 over 1 MiB), the API handler.
 */
final class ApiInitializer extends ChannelInitializer<SocketChannel> {
    static final int MAX_BODY = 1024 * 1024;

    /** How long a request (head and body) may take to arrive, from the connection's start or the request's first byte. */
    static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(30);

    /**
     * Connections served at once: each may hold a body of up to 1 MiB while it arrives (its token checked first, see
     * {@link TokenGate}). The CLI opens one per command.
     */
    static final int MAX_CONNECTIONS = 128;

    private final ApiRouter router;
    private final ExecutorService executor;
    private final Duration requestTimeout;
    private final int maxConnections;
    private final AtomicInteger open = new AtomicInteger();

    ApiInitializer(ApiRouter router, ExecutorService executor, Duration requestTimeout, int maxConnections) {
        this.router = router;
        this.executor = executor;
        this.requestTimeout = requestTimeout;
        this.maxConnections = maxConnections;
    }

    @Override
    protected void initChannel(SocketChannel ch) {
        if (open.incrementAndGet() > maxConnections) {
            open.decrementAndGet();
            // its request gets a 503 in the API's envelope (nothing else is decoded) and the connection ends: at once
            // after the 503 if the client closes, else within 10 s of its start whatever it sends
            ch.eventLoop().schedule(() -> ch.close(), 10, TimeUnit.SECONDS);
            ch.pipeline().addLast("codec", new HttpServerCodec(8192, 16384, 8192)).addLast("busy", new TooBusy());
            return;
        }
        ch.closeFuture().addListener(f -> open.decrementAndGet());
        RequestDeadline deadline = new RequestDeadline(requestTimeout);
        ReadPause reads = new ReadPause(ch);
        ch.pipeline()
                .addLast("idle", new IdleStateHandler(0, 0, 120, TimeUnit.SECONDS))
                .addLast("deadline", deadline.bytes())
                .addLast("codec", new HttpServerCodec(8192, 16384, 8192))
                .addLast("deadline-requests", deadline.requests())
                .addLast("token-gate", new TokenGate(router, executor, reads))
                .addLast("aggregator", new BoundedAggregator(MAX_BODY, reads))
                .addLast("api", new ApiHttpHandler(router, executor, reads));
    }

    private final class TooBusy extends ChannelInboundHandlerAdapter {
        private boolean answered;

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            boolean head = msg instanceof HttpRequest;
            ReferenceCountUtil.release(msg);
            if (head && !answered) {
                answered = true;
                ApiResponse r = Envelope.error(503, ApiException.CODE_UNAVAILABLE, "the admin API serves "
                        + maxConnections + " connections at once; try again when one has closed");
                BoundedAggregator.answerThenShut(ctx, ApiHttpHandler.toHttp(r, false)); // what follows is dropped below
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }
}
