package dev.vpctunnel.core.link;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http2.Http2Connection;
import io.netty.handler.codec.http2.Http2ConnectionAdapter;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2Exception;
import io.netty.util.AttributeKey;

import java.nio.charset.StandardCharsets;

/**
 * Why a link went down, for the "link ... down" log lines of both ends: the GOAWAY it sent or received (error code
 * and debug data; an HTTP/2 connection error is sent as a GOAWAY carrying its message), else the first error its
 * pipeline caught. A GOAWAY with an error code outranks one with NO_ERROR (closing a link sends a NO_ERROR GOAWAY
 * after the one that said why); otherwise the first one seen is kept.
 */
public final class LinkCloseReason {
    private static final AttributeKey<String> GOAWAY = AttributeKey.valueOf(LinkCloseReason.class, "goaway");
    private static final AttributeKey<Boolean> GOAWAY_ERROR = AttributeKey.valueOf(LinkCloseReason.class, "goawayError");
    private static final AttributeKey<String> ERROR = AttributeKey.valueOf(LinkCloseReason.class, "error");
    private static final int MAX_DEBUG = 200;

    private LinkCloseReason() {
    }

    /** Records the GOAWAYs {@code connection} (the HTTP/2 codec of {@code link}) sends and receives. */
    static void watch(Channel link, Http2Connection connection) {
        connection.addListener(new Http2ConnectionAdapter() {
            @Override
            public void onGoAwaySent(int lastStreamId, long errorCode, ByteBuf debugData) {
                goAway(link, "sent", errorCode, debugData);
            }

            @Override
            public void onGoAwayReceived(int lastStreamId, long errorCode, ByteBuf debugData) {
                goAway(link, "received", errorCode, debugData);
            }
        });
    }

    /** Records {@code cause} if it is the link's first error. */
    public static void error(Channel link, Throwable cause) {
        String m = cause.getMessage();
        link.attr(ERROR).setIfAbsent(cause.getClass().getSimpleName() + (m == null || m.isBlank() ? "" : ": " + m));
    }

    /**
     * Closes the link after an error reached the end of its pipeline. An HTTP/2 connection error is passed on by the
     * codec before it sends the GOAWAY that carries its code and message, then closes the link itself: closing at
     * once would send a NO_ERROR GOAWAY first and the peer would never learn why. So that close waits for the codec.
     */
    public static void closeAfterCodec(ChannelHandlerContext ctx, Throwable cause) {
        if (cause instanceof Http2Exception) {
            closeAfterThisTurn(ctx);
        } else {
            ctx.close();
        }
    }

    /**
     * Closes once the event loop has finished what it is doing: an HTTP/2 codec that passed an error on sends its GOAWAY
     * first (any connection error it fires: a close at once would send GOAWAY(NO_ERROR) before it). At once when the
     * loop no longer takes tasks (it is shutting down).
     */
    public static void closeAfterThisTurn(ChannelHandlerContext ctx) {
        try {
            ctx.channel().eventLoop().execute(ctx::close);
        } catch (java.util.concurrent.RejectedExecutionException stopping) {
            ctx.close();
        }
    }

    /** The reason as " (GOAWAY sent: ENHANCE_YOUR_CALM, \"...\")", or "" when nothing was recorded. */
    public static String of(Channel link) {
        String goAway = link.attr(GOAWAY).get();
        String error = link.attr(ERROR).get();
        if (goAway != null && (Boolean.TRUE.equals(link.attr(GOAWAY_ERROR).get()) || error == null)) {
            return " (" + goAway + ")";
        }
        return error != null ? " (" + error + ")" : "";
    }

    private static void goAway(Channel link, String direction, long errorCode, ByteBuf debugData) {
        boolean isError = errorCode != Http2Error.NO_ERROR.code();
        if (link.attr(GOAWAY).get() != null && (!isError || Boolean.TRUE.equals(link.attr(GOAWAY_ERROR).get()))) {
            return;
        }
        Http2Error e = Http2Error.valueOf(errorCode);
        StringBuilder sb = new StringBuilder("GOAWAY ").append(direction).append(": ")
                .append(e != null ? e.name() : "error code 0x" + Long.toHexString(errorCode));
        if (debugData != null && debugData.isReadable()) {
            int n = Math.min(debugData.readableBytes(), MAX_DEBUG);
            String debug = debugData.toString(debugData.readerIndex(), n, StandardCharsets.UTF_8);
            sb.append(", \"").append(debug.replaceAll("\\p{Cntrl}", "?")).append(n < debugData.readableBytes() ? "...\"" : "\"");
        }
        link.attr(GOAWAY).set(sb.toString());
        link.attr(GOAWAY_ERROR).set(isError);
    }
}
