package dev.vpctunnel.connector.origin;

import dev.vpctunnel.proto.ErrorCode;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http2.DefaultHttp2DataFrame;
import io.netty.handler.codec.http2.DefaultHttp2HeadersFrame;
import io.netty.handler.codec.http2.DefaultHttp2ResetFrame;
import io.netty.handler.codec.http2.Http2DataFrame;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.handler.codec.http2.Http2HeadersFrame;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2ResetFrame;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.Future;

import java.nio.channels.ClosedChannelException;
import java.util.Set;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Relays one fetch stream to its origin and back. Runs on the stream channel's event loop; origin events are handed
 * over to it. Backpressure: the stream is read only after the previous writes to the origin completed
 * ({@link RequestPump}), the origin only after the previous writes to the stream completed (on HTTP/2 that means the
 * peer's flow-control window took them). A failure before the response head is a 502 with cf-link-error; after it, a
 * RST_STREAM, never a clean end. An edge reset closes the origin connection instead of pooling it. A 101 Switching
 * Protocols from the origin is such a failure (stream_reset): the tunnel does not carry upgraded connections.
 */
final class OriginStreamHandler extends ChannelInboundHandlerAdapter {
    private static final Logger LOG = Logger.getLogger(OriginStreamHandler.class.getName());

    private enum State { HEAD, DIALING, RELAYING, DONE }

    /** Idempotent methods: sent twice they have the effect of once. Only retried when the request has no body. */
    private static final Set<String> RETRYABLE_METHODS = Set.of("GET", "HEAD", "OPTIONS", "TRACE", "PUT", "DELETE");

    private final OriginDialer dialer;
    private final OriginService.LoopChooser loops;
    private final FetchStats stats;
    private ChannelHandlerContext ctx;
    private State state = State.HEAD;
    private OriginTarget target;
    /** The stream's request HEADERS (the origin's request head is made from them once it is dialed). */
    private Http2Headers head;
    private RequestPump pump;
    private OriginConnection origin;
    /**
     * An idempotent, body-less request on a pooled connection the origin closed meanwhile is sent again once, on a fresh
     * one. Anything else may already have had its effect at the origin and fails instead (RFC 9110 9.2.2).
     */
    private boolean retryable;
    private boolean responseStarted;
    private boolean responseKeepAlive;
    private boolean informational;
    private ChannelFuture lastStreamWrite;

    OriginStreamHandler(OriginDialer dialer, OriginService.LoopChooser loops, FetchStats stats) {
        this.dialer = dialer;
        this.loops = loops;
        this.stats = stats;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
        this.pump = new RequestPump(ctx, this::originFailed);
    }

    // ---- stream (edge) side ----
    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (state == State.DONE) {
            ReferenceCountUtil.release(msg);
            ctx.read(); // the rest of a body after the answer: dropped as it comes (see onResponseEnded)
        } else if (msg instanceof Http2HeadersFrame h && head == null) {
            onHead(h);
        } else if (msg instanceof Http2DataFrame d && head != null && !pump.ended()) {
            pump.add(d.isEndStream() ? new DefaultLastHttpContent(d.content()) : new DefaultHttpContent(d.content()));
        } else if (msg instanceof Http2HeadersFrame trailers && head != null && !pump.ended() && trailers.isEndStream()) {
            LastHttpContent last = new DefaultLastHttpContent();
            HopHeaders.trailersToOrigin(trailers.headers(), last.trailingHeaders());
            pump.add(last);
        } else {
            ReferenceCountUtil.release(msg);
            fail(new FetchFailure(ErrorCode.BAD_REQUEST, "unexpected " + msg.getClass().getSimpleName() + " on a fetch stream"));
        }
    }

    private void onHead(Http2HeadersFrame frame) {
        Http2Headers h = frame.headers();
        if (h.method() == null || h.path() == null) {
            fail(new FetchFailure(ErrorCode.BAD_REQUEST, "a fetch stream needs :method and :path"));
            return;
        }
        head = h;
        try {
            target = ConnectRequests.fromHeaders(h);
        } catch (FetchFailure f) {
            fail(f);
            return;
        }
        if (frame.isEndStream()) {
            retryable = RETRYABLE_METHODS.contains(h.method().toString());
            pump.add(new DefaultLastHttpContent());
        }
        dial();
    }

    private void dial() {
        state = State.DIALING;
        EventLoop originLoop = loops.forStream(ctx.channel().eventLoop());
        dialer.dial(target, originLoop).addListener((Future<OriginConnection> f) -> {
            if (ctx.executor().inEventLoop()) {
                onDialed(f);
                return;
            }
            try {
                ctx.executor().execute(() -> onDialed(f));
            } catch (java.util.concurrent.RejectedExecutionException e) {
                if (f.isSuccess()) {
                    f.getNow().channel().close();
                }
            }
        });
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        if (state == State.RELAYING) {
            pump.pump();
        }
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof Http2ResetFrame reset) {
            abort("the edge reset the stream (" + reset.errorCode() + ")");
            ctx.close();
        } else {
            ctx.fireUserEventTriggered(evt);
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        abort("the stream closed");
        ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        LOG.log(Level.FINE, "fetch stream error", cause);
        abort("stream error: " + cause);
        ctx.close();
    }

    // ---- dialing ----

    private void onDialed(Future<OriginConnection> f) {
        if (!f.isSuccess()) {
            fail(ErrorMapper.toFailure(f.cause()));
            return;
        }
        OriginConnection conn = f.getNow();
        if (state != State.DIALING) {
            conn.channel().close();
            return;
        }
        long length = pump.knownLength();
        HttpRequest originHead;
        try {
            originHead = HopHeaders.toOrigin(head, target.serverName(), length);
        } catch (IllegalArgumentException e) {
            conn.channel().close();
            fail(new FetchFailure(ErrorCode.BAD_REQUEST, "invalid request head: " + e.getMessage()));
            return;
        }
        origin = conn;
        retryable &= conn.reused;
        state = State.RELAYING;
        LoopHandoff.onLoopOf(conn, () -> conn.listener(new LoopHandoff(ctx.channel().eventLoop(), new Attached(conn))));
        pump.start(conn.channel(), conn.channel().write(originHead));
        conn.channel().read();
    }

    // ---- response: origin -> stream ----

    /** Events of one origin connection; ignored once the fetch moved on from it. */
    private final class Attached implements OriginConnection.Listener {
        private final OriginConnection conn;

        Attached(OriginConnection conn) {
            this.conn = conn;
        }

        @Override
        public void onOriginMessage(HttpObject msg) {
            if (origin == conn && state == State.RELAYING) {
                relay(msg);
            } else {
                ReferenceCountUtil.release(msg);
            }
        }

        @Override
        public void onOriginReadComplete() {
            if (origin == conn && state == State.RELAYING) {
                flushToStream();
            }
        }

        @Override
        public void onOriginClosed(Throwable cause) {
            if (origin == conn && state == State.RELAYING) {
                originFailed(cause != null ? cause : new ClosedChannelException());
            }
        }
    }

    private void relay(HttpObject msg) {
        if (msg.decoderResult().isFailure()) {
            ReferenceCountUtil.release(msg);
            originFailed(msg.decoderResult().cause());
            return;
        }
        if (msg instanceof HttpResponse r) {
            int code = r.status().code();
            informational = code >= 100 && code < 200; // not passed on (fetch() never shows them)
            Http2Headers linkHead = informational ? null : HopHeaders.toLink(r);
            String notCarried = ErrorMapper.notCarried(r, linkHead);
            if (notCarried != null) {
                ReferenceCountUtil.release(msg);
                fail(new FetchFailure(ErrorCode.STREAM_RESET, notCarried)); // closes the connection: never pooled
                return;
            }
            if (!informational) {
                responseKeepAlive = origin.keptAliveBy(r);
                responseStarted = true;
                stats.response(code);
                lastStreamWrite = ctx.write(new DefaultHttp2HeadersFrame(linkHead));
            }
        }
        if (msg instanceof HttpContent c) {
            if (informational) {
                c.release();
                informational = !(c instanceof LastHttpContent);
            } else if (c instanceof LastHttpContent lc) {
                onResponseEnded(lc);
            } else {
                lastStreamWrite = ctx.write(new DefaultHttp2DataFrame(c.content(), false));
            }
        }
    }

    /** End of one read from the origin: flush, and read the origin again once the stream took what was written. */
    private void flushToStream() {
        ChannelFuture last = lastStreamWrite;
        lastStreamWrite = null;
        OriginConnection conn = origin;
        if (last == null) {
            conn.channel().read();
            return;
        }
        ctx.flush();
        last.addListener(f -> {
            if (!f.isSuccess() && state != State.DONE) {
                abort("writing to the stream failed: " + f.cause());
                ctx.close();
            } else if (f.isSuccess() && origin == conn && state == State.RELAYING) {
                conn.channel().read();
            }
        });
    }

    /** The origin's response is complete: its connection goes back to the pool first, then the end goes to the edge. */
    private void onResponseEnded(LastHttpContent last) {
        state = State.DONE;
        stats.ok();
        boolean requestComplete = pump.ended();
        if (responseKeepAlive && pump.handedOver()) {
            OriginConnection conn = origin;
            origin = null;
            LoopHandoff.onLoopOf(conn, conn::returnToPool);
        } else {
            closeOrigin();
        }
        pump.stop();
        ChannelFuture end = writeEnd(last);
        if (!requestComplete) {
            // The response is complete: the edge may stop sending the body (RFC 9113 8.1). Only once the end went out: a
            // reset drops DATA still waiting for flow-control window, and the edge would see the response cut off.
            // Until then the rest of the body is read and dropped (the end may wait for a worker that reads nothing
            // before its upload is done: a full stream window would stall both for good); then the channel closes.
            end.addListener(f -> ctx.writeAndFlush(new DefaultHttp2ResetFrame(Http2Error.NO_ERROR)).addListener(x -> ctx.close()));
            ctx.read();
        }
    }

    /** The end of the response: a DATA frame that ends the stream, or the trailers after the last data. */
    private ChannelFuture writeEnd(LastHttpContent last) {
        Http2Headers trailers = last.trailingHeaders().isEmpty() ? null : HopHeaders.trailersToLink(last.trailingHeaders());
        if (trailers == null || trailers.isEmpty()) {
            return ctx.writeAndFlush(new DefaultHttp2DataFrame(last.content(), true));
        }
        if (last.content().isReadable()) {
            ctx.write(new DefaultHttp2DataFrame(last.content(), false));
        } else {
            last.release();
        }
        return ctx.writeAndFlush(new DefaultHttp2HeadersFrame(trailers, true));
    }

    // ---- failure and cancellation ----

    /** The origin failed after dialing: a 502 if nothing was sent yet, else a reset, never a clean end. */
    private void originFailed(Throwable cause) {
        if (state != State.RELAYING) {
            return;
        }
        FetchFailure f = ErrorMapper.toFailure(cause);
        if (responseStarted) {
            LOG.fine(() -> "fetch " + target.requestId() + " to " + target.describe() + " cut off: " + f.getMessage());
            stats.failed(ErrorCode.STREAM_RESET);
            finish();
            ctx.writeAndFlush(new DefaultHttp2ResetFrame(Http2Error.INTERNAL_ERROR)).addListener(x -> ctx.close());
        } else if (retryable) {
            LOG.fine(() -> "fetch " + target.requestId() + ": pooled connection closed by the origin, retrying the "
                    + head.method() + " on a new one");
            retryable = false;
            closeOrigin();
            pump.stop();
            pump = new RequestPump(ctx, this::originFailed);
            pump.add(new DefaultLastHttpContent());
            dial();
        } else {
            fail(f.code() == ErrorCode.STREAM_RESET ? new FetchFailure(ErrorCode.STREAM_RESET,
                    f.getMessage() + " before sending a response") : f);
        }
    }

    /** Answers 502 + cf-link-error and ends the stream. */
    private void fail(FetchFailure f) {
        if (state == State.DONE) {
            return;
        }
        if (target != null) {
            OriginFailures.failed(target, f);
        }
        boolean bodyPending = !pump.ended();
        stats.failed(f.code());
        finish();
        ctx.writeAndFlush(new DefaultHttp2HeadersFrame(ErrorMapper.headers(f), true)).addListener(x -> {
            if (!x.isSuccess()) {
                ctx.close();
            }
        });
        if (bodyPending) {
            // Tell the edge to stop sending the request body.
            ctx.writeAndFlush(new DefaultHttp2ResetFrame(Http2Error.NO_ERROR)).addListener(x -> ctx.close());
        }
    }

    private void abort(String why) {
        if (state == State.DONE) {
            return;
        }
        if (target != null) {
            LOG.fine(() -> "fetch " + target.requestId() + " to " + target.describe() + " cancelled: " + why);
        }
        stats.cancelled();
        finish();
    }

    /** The fetch is over: no more events are acted on, the origin connection is closed, the request pump stopped. */
    private void finish() {
        state = State.DONE;
        closeOrigin();
        pump.stop();
    }

    private void closeOrigin() {
        OriginConnection conn = origin;
        origin = null;
        if (conn != null) {
            LoopHandoff.onLoopOf(conn, () -> conn.listener(null));
            conn.channel().close();
        }
    }
}
