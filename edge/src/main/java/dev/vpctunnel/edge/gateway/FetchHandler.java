package dev.vpctunnel.edge.gateway;

import dev.vpctunnel.core.link.LinkHeaders;
import dev.vpctunnel.edge.directory.BindingRecord;
import dev.vpctunnel.edge.directory.DirectorySnapshot;
import dev.vpctunnel.edge.directory.WorkerRecord;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.util.ReferenceCountUtil;

import java.util.ArrayDeque;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Logger;

/**
 * The worker's side of the gateway: one request at a time per HTTP/1.1 connection (one per h2c stream). Checks the
 * worker token and the binding, routes, and hands the request to an {@link Exchange} that relays it through a link.
 * AUTO_READ is off: the next message is read only when the previous one was passed on, and one read ahead once a
 * request has fully arrived. A message of the next request that arrives while the current exchange is answering (a
 * pipelining client, or that read ahead) is held and handled once that exchange is over: two exchanges never run at
 * once on one connection, and no more than one read's worth is held.
 */
final class FetchHandler extends ChannelInboundHandlerAdapter {
    private static final Logger LOG = Logger.getLogger(FetchHandler.class.getName());
    private static final AtomicLong IDS = new AtomicLong();
    private final GatewayContext gateway;
    private Exchange exchange;
    /** After an error answer, the rest of that request's body is read and dropped. */
    private boolean discardingBody;
    private boolean closeAfterResponse;
    /** Between an HttpRequest and its LastHttpContent. */
    private boolean requestOpen;
    /** The gateway's own answer to the current request (an error) is being written; the next request waits for it. */
    private boolean answering;
    /** The connection (stream) is being ended after an answer: nothing read any more is looked at. */
    private boolean closing;
    private boolean resuming;
    private boolean resumeAgain;
    /** Messages of the next request, read while the current exchange was still answering. */
    private final ArrayDeque<Object> held = new ArrayDeque<>(4);
    /**
     * The last token on this connection and its worker in the snapshot it was looked up in: a keep-alive connection
     * sends the same token with every request, and hashing it cost more than the rest of the lookup. A new snapshot
     * (any directory change, a deleted worker too) looks it up again.
     */
    private DirectorySnapshot tokenDir;
    private String tokenSeen;
    private Optional<WorkerRecord> tokenWorker;

    FetchHandler(GatewayContext gateway) {
        this.gateway = gateway;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        ctx.read();
        ctx.fireChannelActive();
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        if (ctx.channel().isActive() && ctx.channel() instanceof Http2StreamChannel) {
            ctx.read();
        }
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (closing) {
            ReferenceCountUtil.release(msg); // decoded from the same read as the request that ended the connection
            return;
        }
        if (!held.isEmpty() || busy()) {
            held.add(msg);
            return;
        }
        dispatch(ctx, msg);
    }

    /** The current request has fully arrived and its answer is not over: what comes now is the next request's. */
    private boolean busy() {
        return (exchange != null || answering) && !requestOpen;
    }

    private void dispatch(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof HttpRequest req) {
            requestOpen = true;
            if (msg instanceof LastHttpContent) {
                requestOpen = false;
            }
            start(ctx, req);
        } else if (msg instanceof HttpContent && !requestOpen) {
            // a body or trailers with no request they belong to: the peer broke the protocol. Never dropped quietly
            // (the stream or connection would wait forever for an answer to a request that never came).
            ReferenceCountUtil.release(msg);
            LOG.fine(() -> "gateway connection " + ctx.channel() + ": request content without a request");
            if (ctx.channel() instanceof Http2StreamChannel) {
                H2cRequestCheck.reset(ctx);
            } else {
                ctx.close();
            }
            return;
        } else if (msg instanceof LastHttpContent) {
            requestOpen = false;
        }
        if (msg instanceof HttpContent content) {
            if (exchange != null) {
                boolean last = content instanceof LastHttpContent;
                exchange.requestContent(content);
                if (last && exchange != null) {
                    // read ahead while the exchange answers: the socket keeps its read interest (no two epoll_ctl
                    // calls per request to drop and restore it), and what arrives early is held
                    readUnlessHeld(ctx);
                }
                return;
            }
            boolean last = content instanceof LastHttpContent;
            boolean malformed = content.decoderResult().isFailure();
            content.release();
            if (malformed) {
                // the body of a request already answered could not be read (a bad chunk): the decoder drops all
                // that follows, so nothing more can be answered on this connection
                LOG.fine(() -> "gateway connection " + ctx.channel() + ": malformed body after an answer");
                closeAfterResponse = true;
                if (!answering) {
                    closeAfter(ctx, true); // the answer already sent stays readable
                }
                return;
            }
            if (discardingBody && last) {
                discardingBody = false;
                if (answering) {
                    return; // the answer's write listener goes on: the next request, or the close
                }
                if (closeAfterResponse) {
                    closeAfter(ctx, true);
                    return;
                }
            }
            readUnlessHeld(ctx);
        } else if (!(msg instanceof HttpRequest)) {
            ReferenceCountUtil.release(msg);
            readUnlessHeld(ctx);
        }
    }

    /** Reads on, unless messages read ahead are still held: resume reads once they are handled (one read's worth held). */
    private void readUnlessHeld(ChannelHandlerContext ctx) {
        if (held.isEmpty()) {
            ctx.read();
        }
    }

    private void start(ChannelHandlerContext ctx, HttpRequest req) {
        boolean h2 = ctx.channel() instanceof Http2StreamChannel;
        boolean keepAlive = HttpUtil.isKeepAlive(req) && !h2 && !gateway.closing().get();
        boolean closeWhenDone = !keepAlive && !h2;
        closeAfterResponse = closeWhenDone;
        boolean expectContinue = HttpUtil.is100ContinueExpected(req);
        if (expectContinue && !h2) {
            // refused before 100 Continue: the body may never come, so that connection cannot be reused
            closeAfterResponse = true;
        }
        if (req.decoderResult().isFailure()) {
            // not a fetch at all: HTTP's own 400 (no cf-vpc-error), and the connection cannot go on
            closeAfterResponse = true;
            answer(ctx, MalformedRequest.response(ctx.alloc(), req.decoderResult().cause()));
            return;
        }
        HttpVersion version = req.protocolVersion();
        if (!h2 && (version.majorVersion() != 1 || version.minorVersion() > 1 || !"HTTP".equals(version.protocolName()))) {
            refuse(ctx, HttpResponseStatus.HTTP_VERSION_NOT_SUPPORTED,
                    "HTTP version not supported: " + FetchUrl.printable(version.text()) + " (HTTP/1.0 and HTTP/1.1 are)");
            return;
        }
        String unusable = RequestHeaders.unusable(req);
        if (unusable != null) {
            if (unusable.startsWith(RequestHeaders.TOO_LARGE)) {
                refuse(ctx, HttpResponseStatus.REQUEST_HEADER_FIELDS_TOO_LARGE, unusable);
            } else {
                refuse(ctx, HttpResponseStatus.BAD_REQUEST, "bad request: " + unusable);
            }
            return;
        }
        long started = System.nanoTime();
        String requestId = Long.toHexString(IDS.incrementAndGet());
        DirectorySnapshot dir = gateway.directory().get();
        String token = RequestHeaders.bearer(req);
        Optional<WorkerRecord> worker = token == null ? Optional.empty() : workerOf(dir, token);
        if (worker.isEmpty()) {
            fail(ctx, FetchError.of(FetchError.Code.UNAUTHORIZED, token == null
                    ? "Proxy-Authorization: Bearer <worker gateway token> is required" : "the worker gateway token is not valid"), "-",
                    started);
            return;
        }
        String bindingName = req.headers().get(RequestHeaders.BINDING);
        BindingRecord binding = bindingName == null ? null : worker.get().bindings().get(bindingName);
        if (binding == null) {
            fail(ctx, FetchError.of(FetchError.Code.BINDING_NOT_FOUND, bindingName == null
                    ? "header cf-vpc-binding is required" : "worker " + worker.get().name() + " has no binding named " + bindingName),
                    "-", started); // a metrics label: never a name the client made up (one series per made-up name)
            return;
        }
        FetchRouter.Route route;
        Http2Headers head;
        try {
            FetchUrl url = FetchUrl.parse(req, h2);
            route = gateway.router().route(dir, worker.get(), binding, url, requestId);
            if (expectContinue) {
                req.headers().remove(HttpHeaderNames.EXPECT); // the origin never sees it (100 Continue is ours)
            }
            head = RequestHeaders.forTunnel(req, url.pathAndQuery(), route.hostHeader(), route.connect().toByteArray(),
                    route.requestId());
        } catch (IllegalArgumentException e) {
            fail(ctx, FetchError.of(FetchError.Code.NO_ROUTE, e.getMessage()), binding.name(), started);
            return;
        } catch (FetchException e) {
            fail(ctx, e.error(), binding.name(), started);
            return;
        }
        long size = LinkHeaders.listSize(head);
        if (size > LinkHeaders.MAX_HEADER_LIST) {
            // the stream's HEADERS would exceed the connector's SETTINGS_MAX_HEADER_LIST_SIZE: Netty would reset the
            // stream and the worker see stream_reset although the link is fine. Refused before a stream is opened.
            refuse(ctx, HttpResponseStatus.REQUEST_HEADER_FIELDS_TOO_LARGE, RequestHeaders.TOO_LARGE + RequestHeaders.tooLarge(size));
            return;
        }
        exchange = new Exchange(gateway, ctx, this, req, head, route, binding.name(), started, keepAlive);
        if (expectContinue) {
            closeAfterResponse = closeWhenDone;
            // the fetch is routable: let the worker send its body
            ctx.writeAndFlush(new io.netty.handler.codec.http.DefaultFullHttpResponse(req.protocolVersion(),
                    io.netty.handler.codec.http.HttpResponseStatus.CONTINUE));
        }
        exchange.start();
    }

    /**
     * A head that cannot be a fetch although HTTP could read it: a plain answer (no cf-vpc-error, as for a head the
     * decoder refused) and, on HTTP/1.1, the connection closes (whatever body follows is not read).
     */
    private void refuse(ChannelHandlerContext ctx, HttpResponseStatus status, String text) {
        LOG.fine(() -> "request refused with " + status.code() + ": " + text);
        closeAfterResponse = true;
        discardingBody = true;
        answer(ctx, MalformedRequest.response(ctx.alloc(), status, text));
    }

    /**
     * Writes the gateway's own answer to the current request. Until it is written the next request waits (a worker
     * that pipelines without reading gets no more answers queued than it reads); then the connection goes on, or
     * ends gently if it must. An h2c stream whose body has not ended ends with RST_STREAM(NO_ERROR): the rest is not
     * wanted (RFC 9113 8.1), and a worker that expected 100 Continue would never send it.
     */
    private void answer(ChannelHandlerContext ctx, Object response) {
        answering = true;
        closeAfterResponse |= requestOpen && ctx.channel() instanceof Http2StreamChannel;
        ctx.writeAndFlush(response).addListener((ChannelFutureListener) f -> {
            answering = false;
            if (!f.isSuccess() || closeAfterResponse) {
                releaseHeld();
                closeAfter(ctx, f.isSuccess());
            } else {
                resume(ctx);
            }
        });
    }

    private Optional<WorkerRecord> workerOf(DirectorySnapshot dir, String token) {
        if (dir != tokenDir || !token.equals(tokenSeen)) {
            tokenWorker = dir.workerByGatewayToken(token);
            tokenDir = dir;
            tokenSeen = token;
        }
        return tokenWorker;
    }

    /** An answer from the gateway itself: the worker's fetch() rejects with it. {@code started}: the request's nanoTime. */
    void fail(ChannelHandlerContext ctx, FetchError error, String binding, long started) {
        LOG.fine(() -> "fetch through " + binding + " refused: " + error.code().wire() + ": " + error.message());
        gateway.metrics().fetchDone(binding, error.code().wire(), (System.nanoTime() - started) / 1e9);
        discardingBody = true;
        answer(ctx, error.toResponse(ctx.alloc(), !closeAfterResponse));
    }

    /** Whether a fetch on this connection waits for its origin's answer to begin. */
    boolean awaitingOrigin() {
        return exchange != null && exchange.awaitingResponse();
    }

    /** The exchange is over (response fully written, request fully read); the connection may take the next one. */
    void exchangeDone(ChannelHandlerContext ctx, boolean reusable) {
        exchange = null;
        if (!reusable || closeAfterResponse) {
            releaseHeld();
            closeAfter(ctx, true);
        } else {
            resume(ctx);
        }
    }

    /** The connection (stream) ends after an answer: its whole answer, when it went out, stays readable. */
    private void closeAfter(ChannelHandlerContext ctx, boolean answered) {
        boolean started = closing;
        closing = true;
        if (!started || !answered) {
            AnswerClose.after(ctx, answered);
        }
    }

    /**
     * Ready for more: handle what was held back for the next request, else read. Not recursive: an answer that
     * completes at once while a held request is handled calls back here, and a read's worth of pipelined requests
     * would nest that deep.
     */
    private void resume(ChannelHandlerContext ctx) {
        if (resuming) {
            resumeAgain = true; // the loop below goes on once the message being handled returns
            return;
        }
        resuming = true;
        try {
            do {
                resumeAgain = false;
                resumeOnce(ctx);
            } while (resumeAgain);
        } finally {
            resuming = false;
        }
    }

    private void resumeOnce(ChannelHandlerContext ctx) {
        if (held.isEmpty()) {
            if (!busy()) {
                ctx.read();
            }
            return;
        }
        Object m;
        while ((m = held.peek()) != null && !busy() && !closing && ctx.channel().isActive()) {
            held.poll();
            dispatch(ctx, m);
        }
    }

    private void releaseHeld() {
        Object m;
        while ((m = held.poll()) != null) {
            ReferenceCountUtil.release(m);
        }
    }

    /** The exchange gave an error answer while the request body may still be coming. */
    void exchangeFailed(boolean requestFinished) {
        exchange = null;
        discardingBody = !requestFinished;
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        releaseHeld();
        if (exchange != null) {
            exchange.clientGone();
            exchange = null;
        }
        ctx.fireChannelInactive();
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof io.netty.handler.codec.http2.Http2ResetFrame) {
            if (exchange != null) {
                exchange.clientGone();
                exchange = null;
            }
            // The worker reset this h2c stream: close its channel, which releases the DATA frames it still holds
            // unread (an upload ahead of the origin). Netty closes a reset stream's channel only once it is read, and
            // nothing reads it any more. Later in this turn, when the stream is closed: no RST goes back.
            ctx.executor().execute(ctx::close);
        }
        ReferenceCountUtil.release(evt);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        LOG.fine(() -> "gateway connection " + ctx.channel().remoteAddress() + " failed: " + cause);
        ctx.close();
    }
}
