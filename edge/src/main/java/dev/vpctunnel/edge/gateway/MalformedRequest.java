package dev.vpctunnel.edge.gateway;

import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;

import java.nio.charset.StandardCharsets;

/**
 * The answer to a request whose head the HTTP decoder could not read: not a fetch (no worker, binding or URL to speak
 * of), so a plain 400 with a one-line text body naming the problem, no cf-vpc-error, and the connection closes; a head
 * over the decoder's size limit gets 431 and a request line over its limit 414, the same way.
 */
final class MalformedRequest {
    private static final int MAX_REASON = 200;

    private MalformedRequest() {
    }

    static FullHttpResponse response(ByteBufAllocator alloc, Throwable cause) {
        if (cause instanceof TooLongHttpHeaderException) {
            return response(alloc, HttpResponseStatus.REQUEST_HEADER_FIELDS_TOO_LARGE,
                    RequestHeaders.TOO_LARGE + reason(cause));
        }
        if (cause instanceof TooLongHttpLineException) {
            return response(alloc, HttpResponseStatus.REQUEST_URI_TOO_LONG, "request line too long: " + reason(cause));
        }
        return response(alloc, HttpResponseStatus.BAD_REQUEST, "bad request: " + reason(cause));
    }

    /** The same kind of answer for a head the decoder read but that cannot be a fetch: the status and one line. */
    static FullHttpResponse response(ByteBufAllocator alloc, HttpResponseStatus status, String text) {
        byte[] body = (text + "\n").getBytes(StandardCharsets.UTF_8);
        FullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status,
                alloc.buffer(body.length).writeBytes(body));
        r.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/plain; charset=UTF-8")
                .setInt(HttpHeaderNames.CONTENT_LENGTH, body.length)
                .set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        return r;
    }

    /** The decoder's message on one line, control characters escaped, clipped; the exception's name without one. */
    static String reason(Throwable cause) {
        String m = cause == null ? null : cause.getMessage();
        if (m == null || m.isBlank()) {
            return cause == null ? "the request could not be parsed as HTTP" : cause.getClass().getSimpleName();
        }
        StringBuilder b = new StringBuilder(Math.min(m.length(), MAX_REASON) + 8);
        int i = 0;
        for (; i < m.length() && b.length() < MAX_REASON; i++) {
            char c = m.charAt(i);
            if (c < 0x20 || c == 0x7f) {
                b.append(String.format("\\x%02x", (int) c));
            } else {
                b.append(c);
            }
        }
        return i < m.length() ? b.append('…').toString() : b.toString();
    }
}
