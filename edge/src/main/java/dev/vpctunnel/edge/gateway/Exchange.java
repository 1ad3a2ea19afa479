package dev.vpctunnel.edge.gateway;

import dev.vpctunnel.edge.link.EdgeLink;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http2.DefaultHttp2DataFrame;
import io.netty.handler.codec.http2.DefaultHttp2HeadersFrame;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.util.concurrent.Future;

import java.util.ArrayDeque;
import java.util.logging.Logger;

/**
 * One fetch in flight: the worker's request relayed onto a tunnel stream and the origin's response relayed back,
 * with backpressure both ways. Every method runs on the worker connection's event loop.
 */
final class Exchange {
    private static final Logger LOG = Logger.getLogger(Exchange.class.getName());
    private final GatewayContext gateway;
    private final ChannelHandlerContext client;
    private final FetchHandler owner;
    private final HttpRequest request;
    private final FetchRouter.Route route;
    private final String binding;
    /** The stream's HEADERS (RequestHeaders.forTunnel), built and size-checked before the exchange. */
    private final Http2Headers head;
    private final long started;
    private final boolean keepAlive;
    /** The response's end is the connection's (an HTTP/1.0 worker and a body of unknown length). */
    private boolean closeAfterResponse;
    private final boolean h2Client;
    /** The request has no body: its head goes out as one HEADERS frame that ends the stream. */
    private final boolean bodyless;
    private boolean clientFlushScheduled;
    private final Runnable clientFlush = this::flushClient;
    private final ArrayDeque<HttpContent> pending = new ArrayDeque<>(2);
    private EdgeLink link;
    private Http2StreamChannel stream;
    private int attempts;
    private boolean requestFinished;
    private boolean bodyForwarded;
    private final RequestReplay replay = new RequestReplay();
    private boolean responseStarted;
    /** The connector sent the whole response; it may still be on its way to the worker. */
    private boolean responseEnded;
    private boolean done;
    /** Listeners of this exchange's writes, made once instead of per write. */
    private final ChannelFutureListener clientWriteFailed = f -> {
        if (!f.isSuccess()) {
            clientGone(); // success needs no follow-up: the next read went ahead already
        }
    };
    private final ChannelFutureListener clientWriteDone = f -> {
        if (!f.isSuccess()) {
            clientGone();
        } else if (stream != null) {
            stream.read(); // the worker took this piece: the next one may come
        }
    };
    private final ChannelFutureListener lastClientWriteDone = f -> {
        if (!f.isSuccess()) {
            clientGone();
        } else {
            finish();
        }
    };
    private final ChannelFutureListener readMoreBody = this::bodyPieceWritten;

    Exchange(GatewayContext gateway, ChannelHandlerContext client, FetchHandler owner, HttpRequest request, Http2Headers head,
             FetchRouter.Route route, String binding, long started, boolean keepAlive) {
        this.gateway = gateway;
        this.client = client;
        this.owner = owner;
        this.request = request;
        this.route = route;
        this.binding = binding;
        this.head = head;
        this.started = started;
        this.keepAlive = keepAlive;
        this.h2Client = client.channel() instanceof Http2StreamChannel;
        this.bodyless = WorkerFraming.requestHasNoBody(request, h2Client);
    }

    void start() {
        EdgeLink l = gateway.links().pick(route.tunnelId(), null, client.executor()).orElse(null);
        if (l == null) {
            // links that are there but draining (their connector or this edge is shutting down) take no new fetch
            boolean draining = !gateway.links().links(route.tunnelId()).isEmpty();
            failBeforeResponse(FetchError.of(FetchError.Code.NO_CONNECTOR, draining
                    ? "every link of tunnel " + route.tunnelId() + " is draining (its connector or this edge is shutting down)"
                    : "no connector is connected for tunnel " + route.tunnelId()));
            return;
        }
        open(l);
    }

    private void open(EdgeLink l) {
        link = l;
        attempts++;
        l.openStream(new TunnelStreamHandler(this, l))
                .addListener((Future<Http2StreamChannel> f) -> onClientLoop(() -> opened(f)));
    }

    private void opened(Future<Http2StreamChannel> f) {
        if (!f.isSuccess()) {
            retryOrFail("cannot open a stream on " + link + ": " + f.cause().getMessage());
            return;
        }
        stream = f.getNow();
        if (done) {
            stream.close();
            return;
        }
        stream.write(new DefaultHttp2HeadersFrame(head, bodyless));
        boolean retry = attempts > 1;
        if (retry) {
            replay.writeTo(stream); // what went out on the refused stream goes out again: the body so far, its end
        }
        stream.read();
        HttpContent c;
        while ((c = pending.poll()) != null) {
            forward(c);
        }
        stream.flush();
        if (!requestFinished && (retry || !bodyForwarded) && !bodyless) {
            client.read();
        }
    }

    /**
     * Retry once on another link while nothing of the request reached the origin (refused, or never opened) and what
     * was sent of it is kept ({@link RequestReplay}); else fail.
     */
    private void retryOrFail(String why) {
        if (done) {
            return;
        }
        if (attempts < 2 && (!bodyForwarded || replay.whole())) {
            EdgeLink other = gateway.links().pickInstead(route.tunnelId(), link, client.executor()).orElse(null);
            if (other != null) {
                LOG.fine(() -> why + "; retrying on " + other);
                open(other);
                return;
            }
        }
        failBeforeResponse(attempts < 2 && !replay.whole() ? RequestReplay.notSentAgain(why) // else no other link took it
                : FetchError.of(FetchError.Code.NO_CONNECTOR, why));
    }

    void requestContent(HttpContent content) {
        if (done) {
            content.release();
            return;
        }
        if (content.decoderResult().isFailure()) {
            // a body the HTTP decoder could not read (a bad chunk size line, a connection closed mid-body): what came
            // so far must not reach the origin as a whole request. The stream is reset (the connector aborts the
            // origin's request) and the worker's connection, whose framing is lost, is closed.
            LOG.fine(() -> "fetch through " + binding + ": malformed request body: " + content.decoderResult().cause());
            Throwable cause = content.decoderResult().cause();
            content.release();
            clientGone();
            if (responseStarted || h2Client) {
                client.close();
            } else {
                // nothing answered yet: HTTP's own 400 says why, then the connection closes
                client.writeAndFlush(MalformedRequest.response(client.alloc(), cause))
                        .addListener(f -> AnswerClose.close(client));
            }
            return;
        }
        HttpContent c = content instanceof HttpRequest ? new DefaultLastHttpContent(content.content()) : content;
        if (c instanceof LastHttpContent) {
            requestFinished = true;
        }
        if (stream == null) {
            pending.add(c);
            return;
        }
        forward(c);
        stream.flush();
    }

    private void forward(HttpContent c) {
        if (bodyless) {
            c.release(); // the empty end of a body-less request: the HEADERS frame already ended the stream
            return;
        }
        int n = c.content().readableBytes();
        boolean last = c instanceof LastHttpContent;
        if (n > 0) {
            bodyForwarded = true;
            if (attempts < 2) {
                replay.keep(c.content(), client.alloc());
            }
            gateway.metrics().bytesUp(n);
        }
        ChannelFuture written = writeToStream(c, last);
        if (!last) {
            written.addListener(readMoreBody);
        }
    }

    /** A body piece reached the stream, or could not once the answer began (the rest is then dropped): read on. */
    private void bodyPieceWritten(ChannelFuture f) {
        onClientLoop(() -> {
            if (!done && (f.isSuccess() || responseStarted)) {
                client.read();
            }
        });
    }

    /** A piece of the request body as DATA; the end as DATA that ends the stream, or as trailers. */
    private ChannelFuture writeToStream(HttpContent c, boolean last) {
        if (!last) {
            return stream.write(new DefaultHttp2DataFrame(c.content(), false));
        }
        HttpHeaders trailers = ((LastHttpContent) c).trailingHeaders();
        Http2Headers t = trailers.isEmpty() ? null : RequestHeaders.trailersForTunnel(trailers);
        replay.end(t == null || t.isEmpty() ? null : t);
        if (t == null || t.isEmpty()) {
            return stream.write(new DefaultHttp2DataFrame(c.content(), true));
        }
        if (c.content().isReadable()) {
            stream.write(new DefaultHttp2DataFrame(c.content(), false));
        } else {
            c.release();
        }
        return stream.write(new DefaultHttp2HeadersFrame(t, true));
    }

    /** The whole request went out and the origin's answer has not begun: waiting on the origin, not the worker. */
    boolean awaitingResponse() {
        return !done && !responseStarted && requestFinished;
    }

    // ---- from the tunnel stream (already on the client's event loop) ----

    void responseHead(HttpResponse r) {
        if (done) {
            io.netty.util.ReferenceCountUtil.release(r);
            return;
        }
        FetchError linkError = ConnectErrors.fromResponse(r);
        if (linkError != null) {
            io.netty.util.ReferenceCountUtil.release(r);
            failBeforeResponse(linkError);
            return;
        }
        responseStarted = true;
        replay.release(); // answered: no retry from here on
        RequestHeaders.cleanResponse(r);
        boolean full = r instanceof FullHttpResponse;
        if (!h2Client) {
            closeAfterResponse = WorkerFraming.responseHead(r, request, keepAlive);
        }
        if (full) {
            responseEnded = true;
            gateway.metrics().bytesDown(((FullHttpResponse) r).content().readableBytes());
            client.writeAndFlush(r).addListener(lastClientWriteDone);
            return;
        }
        // The head alone is small: read on at once, so that a body already received goes out with it in one write.
        client.write(r).addListener(clientWriteFailed);
        scheduleClientFlush();
        if (stream != null) {
            stream.read();
        }
    }

    void responseContent(HttpContent c) {
        if (done || !responseStarted) {
            c.release();
            return;
        }
        boolean last = c instanceof LastHttpContent;
        responseEnded |= last;
        gateway.metrics().bytesDown(c.content().readableBytes());
        if (last) {
            client.writeAndFlush(c).addListener(lastClientWriteDone);
        } else {
            scheduleClientFlush();
            if (client.channel().isWritable()) {
                // room in the worker's write buffer: take the next frame now (it goes out in the same flush)
                client.write(c).addListener(clientWriteFailed);
                if (stream != null) {
                    stream.read();
                }
            } else {
                client.write(c).addListener(clientWriteDone);
            }
        }
    }

    private void flushClient() {
        clientFlushScheduled = false;
        client.flush();
    }

    /** One flush of the worker connection at the end of this loop iteration, after what else arrived meanwhile. */
    private void scheduleClientFlush() {
        if (!clientFlushScheduled) {
            clientFlushScheduled = true;
            client.executor().execute(clientFlush);
        }
    }

    private void finish() {
        if (done) {
            return;
        }
        done = true;
        gateway.metrics().fetchDone(binding, "ok", seconds());
        if (stream != null) {
            stream.close();
        }
        owner.exchangeDone(client, requestFinished && !closeAfterResponse);
    }

    /** The tunnel stream ended (reset, or the link died) before the response was complete. */
    void streamClosed(Http2Error reset) {
        if (done || responseEnded) {
            return; // a stream that closes once the whole response arrived is the normal end
        }
        if (!responseStarted) {
            if (reset == Http2Error.REFUSED_STREAM) {
                stream = null;
                retryOrFail("the connector refused the stream (draining)");
            } else {
                failBeforeResponse(FetchError.of(FetchError.Code.STREAM_RESET,
                        "the connection to the connector was lost before the response" + (reset == null ? "" : " (" + reset + ")")));
            }
            return;
        }
        // The response was cut off: never let it look complete. Closing the worker's connection (HTTP/1.1) or
        // its stream (h2c, sent as a reset) tells it so.
        done = true;
        gateway.metrics().fetchDone(binding, FetchError.Code.STREAM_RESET.wire(), seconds());
        LOG.fine(() -> "fetch through " + binding + " cut off mid-response" + (reset == null ? "" : " (" + reset + ")"));
        if (closeAfterResponse) {
            // an unframed body (HTTP/1.0) ends with the connection: a plain close would read as its complete end
            client.channel().config().setOption(io.netty.channel.ChannelOption.SO_LINGER, 0);
        }
        client.close();
    }

    void clientGone() {
        if (done) {
            return;
        }
        done = true;
        gateway.metrics().fetchDone(binding, "client_cancelled", seconds());
        releasePending();
        if (stream != null) {
            stream.close(); // an open stream closed early goes out as RST_STREAM(CANCEL): the connector aborts
        }
    }

    private void failBeforeResponse(FetchError error) {
        done = true;
        releasePending();
        if (stream != null) {
            stream.close();
        }
        owner.exchangeFailed(requestFinished);
        owner.fail(client, error, binding, started);
    }

    private void releasePending() {
        HttpContent c;
        while ((c = pending.poll()) != null) {
            c.release();
        }
        replay.release();
    }

    /** Runs r on the worker connection's loop: at once when already there (link and client share a loop). */
    void onClientLoop(Runnable r) {
        if (client.executor().inEventLoop()) {
            r.run();
        } else {
            client.executor().execute(r);
        }
    }

    private double seconds() {
        return (System.nanoTime() - started) / 1e9;
    }
}
