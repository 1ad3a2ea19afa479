package dev.vpctunnel.connector.origin;

import dev.vpctunnel.proto.ErrorCode;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http2.DefaultHttp2ResetFrame;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2ResetFrame;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.Future;

import java.util.ArrayDeque;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Relays one fetch stream to its origin and back. Runs on the stream channel's event loop; origin events are handed
 * over to it. Backpressure: the stream is read only after the previous writes to the origin completed, the origin only
 * after the previous writes to the stream completed (which, on HTTP/2, means the peer's flow-control window took them).
 */
final class OriginStreamHandler extends ChannelInboundHandlerAdapter implements OriginConnection.Listener {
    private static final Logger LOG = Logger.getLogger(OriginStreamHandler.class.getName());

    private enum State { HEAD, DIALING, RELAYING, DONE }

    private final OriginDialer dialer;
    private final OriginService.LoopChooser loops;
    private ChannelHandlerContext ctx;
    private EventLoop streamLoop;
    private State state = State.HEAD;
    private OriginTarget target;
    private HttpRequest head;
    private OriginConnection origin;
    /** Request body received from the stream, not yet written to the origin. */
    private final ArrayDeque<HttpContent> queued = new ArrayDeque<>();
    private boolean requestEnded;
    /** Request writes to the origin not yet completed. */
    private int requestWrites;
    private boolean responseStarted;
    private boolean responseKeepAlive;
    private boolean informational;
    private ChannelFuture lastStreamWrite;

    OriginStreamHandler(OriginDialer dialer, OriginService.LoopChooser loops) {
        this.dialer = dialer;
        this.loops = loops;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
        this.streamLoop = ctx.channel().eventLoop();
    }

    // ---- stream (edge) side ----

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (state == State.DONE) {
            ReferenceCountUtil.release(msg);
            return;
        }
        if (msg instanceof HttpRequest req && head == null) {
            onHead(req);
        } else if (msg instanceof HttpContent c && head != null && !requestEnded) {
            enqueue(c);
        } else {
            ReferenceCountUtil.release(msg);
            fail(new FetchFailure(ErrorCode.BAD_REQUEST, "unexpected " + msg.getClass().getSimpleName() + " on a fetch stream"));
        }
    }

    private void onHead(HttpRequest req) {
        head = req;
        try {
            target = ConnectRequests.fromHeaders(req.headers());
        } catch (FetchFailure f) {
            ReferenceCountUtil.release(req);
            fail(f);
            return;
        }
        if (req instanceof FullHttpRequest full) {
            enqueue(new DefaultLastHttpContent(full.content(), full.trailingHeaders()));
        }
        state = State.DIALING;
        EventLoop originLoop = loops.forStream(streamLoop);
        dialer.dial(target, originLoop).addListener((Future<OriginConnection> f) -> onStream(() -> onDialed(f)));
    }

    private void enqueue(HttpContent c) {
        queued.add(c);
        if (c instanceof LastHttpContent) {
            requestEnded = true;
        }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        if (state == State.RELAYING) {
            pumpRequest(null);
        }
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof Http2ResetFrame reset) {
            abort("the edge reset the stream (" + reset.errorCode() + ")");
            ctx.close();
        }
        ReferenceCountUtil.release(evt);
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
            if (state != State.DONE) {
                fail(ErrorMapper.toFailure(f.cause()));
            }
            return;
        }
        OriginConnection conn = f.getNow();
        if (state == State.DONE) {
            conn.channel().close();
            return;
        }
        origin = conn;
        state = State.RELAYING;
        onLoopOf(conn, () -> conn.listener(new Handoff()));
        HttpContent only = queued.size() == 1 && requestEnded ? queued.peek() : null;
        long length = only != null ? only.content().readableBytes() : -1;
        HttpRequest originHead = HopHeaders.toOrigin(head, target.serverName(), only != null && length == 0, length);
        pumpRequest(conn.channel().write(originHead));
        conn.channel().read();
    }

    // ---- request body: stream -> origin ----

    /** Writes the queued body to the origin; reads more from the stream only once every write completed. */
    private void pumpRequest(ChannelFuture first) {
        if (origin == null) {
            return;
        }
        ChannelFuture last = first;
        HttpContent c;
        while ((c = queued.poll()) != null) {
            if (c instanceof LastHttpContent lc) {
                HopHeaders.stripLink(lc.trailingHeaders());
            }
            last = origin.channel().write(c);
        }
        if (last != null) {
            requestWrites++;
            origin.channel().flush();
            last.addListener(this::onRequestWritten);
        } else if (requestWrites == 0 && !requestEnded) {
            ctx.read();
        }
    }

    private void onRequestWritten(Future<? super Void> f) {
        onStream(() -> {
            requestWrites--;
            if (state != State.RELAYING) {
                return;
            }
            if (!f.isSuccess()) {
                originFailed(f.cause());
            } else if (requestWrites == 0 && !requestEnded) {
                ctx.read();
            }
        });
    }

    // ---- response: origin -> stream ----

    private final class Handoff implements OriginConnection.Listener {
        @Override
        public void onOriginMessage(HttpObject msg) {
            onStream(() -> OriginStreamHandler.this.onOriginMessage(msg), msg);
        }

        @Override
        public void onOriginReadComplete() {
            onStream(OriginStreamHandler.this::onOriginReadComplete);
        }

        @Override
        public void onOriginClosed(Throwable cause) {
            onStream(() -> OriginStreamHandler.this.onOriginClosed(cause));
        }
    }

    @Override
    public void onOriginMessage(HttpObject msg) {
        if (state != State.RELAYING) {
            ReferenceCountUtil.release(msg);
            return;
        }
        if (msg.decoderResult().isFailure()) {
            ReferenceCountUtil.release(msg);
            originFailed(msg.decoderResult().cause());
            return;
        }
        if (msg instanceof HttpResponse r) {
            int code = r.status().code();
            informational = code >= 100 && code < 200 && code != 101;
            if (!informational) {
                responseKeepAlive = HttpUtil.isKeepAlive(r);
                responseStarted = true;
                lastStreamWrite = ctx.write(HopHeaders.toLink(r));
            }
        }
        if (msg instanceof HttpContent c) {
            if (informational) {
                c.release();
                informational = !(c instanceof LastHttpContent);
                return;
            }
            if (c instanceof LastHttpContent lc) {
                HopHeaders.stripLink(lc.trailingHeaders());
                ctx.writeAndFlush(c).addListener(this::onStreamWritten);
                onResponseEnded();
            } else {
                lastStreamWrite = ctx.write(c);
            }
        }
    }

    @Override
    public void onOriginReadComplete() {
        if (state != State.RELAYING) {
            return;
        }
        ChannelFuture last = lastStreamWrite;
        lastStreamWrite = null;
        if (last != null) {
            ctx.flush();
            last.addListener(f -> onStream(() -> {
                if (!f.isSuccess()) {
                    onStreamWritten(f);
                } else if (state == State.RELAYING && origin != null) {
                    origin.channel().read();
                }
            }));
        } else if (origin != null) {
            origin.channel().read();
        }
    }

    private void onStreamWritten(Future<? super Void> f) {
        if (!f.isSuccess() && state != State.DONE) {
            abort("writing to the stream failed: " + f.cause());
            ctx.close();
        }
    }

    @Override
    public void onOriginClosed(Throwable cause) {
        if (state == State.RELAYING) {
            originFailed(cause != null ? cause : new java.nio.channels.ClosedChannelException());
        }
    }

    private void onResponseEnded() {
        OriginConnection conn = origin;
        origin = null;
        state = State.DONE;
        boolean reusable = responseKeepAlive && requestEnded && queued.isEmpty() && requestWrites == 0;
        if (reusable) {
            onLoopOf(conn, conn::returnToPool);
        } else {
            onLoopOf(conn, () -> conn.listener(null));
            conn.channel().close();
        }
        releaseQueued();
        if (!requestEnded) {
            // The response is complete; tell the edge to stop sending the rest of the body.
            ctx.writeAndFlush(new DefaultHttp2ResetFrame(Http2Error.NO_ERROR));
        }
    }

    // ---- failure and cancellation ----

    /** The origin failed after dialing: a 502 if nothing was sent yet, else a reset, never a clean end. */
    private void originFailed(Throwable cause) {
        FetchFailure f = ErrorMapper.toFailure(cause);
        if (responseStarted) {
            LOG.fine(() -> "fetch " + target.requestId() + " to " + target.describe() + " cut off: " + f.getMessage());
            closeOrigin();
            state = State.DONE;
            releaseQueued();
            ctx.writeAndFlush(new DefaultHttp2ResetFrame(Http2Error.INTERNAL_ERROR)).addListener(x -> ctx.close());
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
            LOG.fine(() -> "fetch " + target.requestId() + " to " + target.describe() + " failed: " + f.code() + " " + f.getMessage());
        }
        boolean bodyPending = !requestEnded;
        state = State.DONE;
        closeOrigin();
        releaseQueued();
        ChannelFuture w = ctx.writeAndFlush(ErrorMapper.response(f));
        if (bodyPending) {
            ctx.writeAndFlush(new DefaultHttp2ResetFrame(Http2Error.NO_ERROR)).addListener(x -> ctx.close());
        }
        w.addListener(x -> {
            if (!x.isSuccess()) {
                ctx.close();
            }
        });
    }

    private void abort(String why) {
        if (state == State.DONE) {
            return;
        }
        if (target != null) {
            LOG.fine(() -> "fetch " + target.requestId() + " to " + target.describe() + " cancelled: " + why);
        }
        state = State.DONE;
        closeOrigin();
        releaseQueued();
    }

    private void closeOrigin() {
        OriginConnection conn = origin;
        origin = null;
        if (conn != null) {
            onLoopOf(conn, () -> conn.listener(null));
            conn.channel().close();
        }
    }

    private void releaseQueued() {
        HttpContent c;
        while ((c = queued.poll()) != null) {
            c.release();
        }
    }

    private static void onLoopOf(OriginConnection conn, Runnable r) {
        if (conn.channel().eventLoop().inEventLoop()) {
            r.run();
        } else {
            conn.channel().eventLoop().execute(r);
        }
    }

    private void onStream(Runnable r) {
        if (streamLoop.inEventLoop()) {
            r.run();
        } else {
            streamLoop.execute(r);
        }
    }

    private void onStream(Runnable r, Object owned) {
        if (streamLoop.inEventLoop()) {
            r.run();
        } else if (!streamLoop.isShuttingDown()) {
            streamLoop.execute(r);
        } else {
            ReferenceCountUtil.release(owned);
        }
    }
}
