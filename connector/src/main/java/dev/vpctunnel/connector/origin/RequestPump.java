package dev.vpctunnel.connector.origin;

import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.concurrent.Future;

import java.util.ArrayDeque;
import java.util.function.Consumer;

/**
 * The request body, stream to origin. Holds what the stream delivered until the origin is ready, writes it, and reads
 * the stream again only once every write to the origin completed. Runs on the stream's event loop; owns the queued
 * buffers until they are written or {@link #stop() stopped}.
 */
final class RequestPump {
    private final ChannelHandlerContext stream;
    private final Consumer<Throwable> onWriteFailure;
    private final ArrayDeque<HttpContent> queued = new ArrayDeque<>();
    private Channel origin;
    private boolean ended;
    /** Write batches to the origin not yet completed. */
    private int writes;

    RequestPump(ChannelHandlerContext stream, Consumer<Throwable> onWriteFailure) {
        this.stream = stream;
        this.onWriteFailure = onWriteFailure;
    }

    void add(HttpContent c) {
        queued.add(c);
        if (c instanceof LastHttpContent) {
            ended = true;
        }
    }

    /** The stream delivered the whole request body. */
    boolean ended() {
        return ended;
    }

    /**
     * The whole request was handed to the origin channel. Writes may still be completing, but a channel writes in
     * order, so the next request on the same connection goes out after this one.
     */
    boolean handedOver() {
        return ended && queued.isEmpty() && origin != null;
    }

    /**
     * The body length when the stream already delivered all of it in one piece, else -1; also -1 when that piece ends
     * with trailers (an empty body, then trailers), which only a chunked body carries to the origin.
     */
    long knownLength() {
        if (!ended || queued.size() != 1) {
            return -1;
        }
        HttpContent only = queued.peek();
        return only instanceof LastHttpContent l && !l.trailingHeaders().isEmpty() ? -1 : only.content().readableBytes();
    }

    /** The origin is ready: the request head was written ({@code headWrite}); the body follows. */
    void start(Channel origin, ChannelFuture headWrite) {
        this.origin = origin;
        pump(headWrite);
    }

    /** Called when a read from the stream completed. */
    void pump() {
        pump(null);
    }

    private void pump(ChannelFuture first) {
        if (origin == null) {
            return;
        }
        ChannelFuture last = first;
        HttpContent c;
        while ((c = queued.poll()) != null) {
            last = origin.write(c);
        }
        if (last != null) {
            writes++;
            origin.flush();
            last.addListener(this::onWritten);
        } else if (writes == 0 && !ended) {
            stream.read();
        }
    }

    private void onWritten(Future<? super Void> f) {
        if (!stream.executor().inEventLoop()) {
            stream.executor().execute(() -> onWritten(f));
            return;
        }
        writes--;
        if (origin == null) {
            return;
        }
        if (!f.isSuccess()) {
            onWriteFailure.accept(f.cause());
        } else if (writes == 0 && !ended) {
            stream.read();
        }
    }

    /** No more writes; releases what is still queued. */
    void stop() {
        origin = null;
        HttpContent c;
        while ((c = queued.poll()) != null) {
            c.release();
        }
    }
}
