package dev.vpctunnel.edge.api;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;

/**
 * A request head the API answers without looking at its path or token, in the API's envelope, and then closes: one the
 * decoder could not read (431 when its header block is over the limit, 414 when its request line is, else 400), an HTTP
 * version other than 1.0 and 1.1 (505, RFC 9110 15.6.6; as the gateway), or two Authorization headers (400: which one to trust is ambiguous,
 * and one of them may come from something in between).
 */
final class HeadProblem {
    private HeadProblem() {
    }

    /** The answer, or null when the head is fine. */
    static ApiResponse of(HttpRequest head) {
        if (head.decoderResult().isFailure()) {
            Throwable cause = head.decoderResult().cause();
            if (cause instanceof TooLongHttpHeaderException) {
                return Envelope.error(431, ApiException.CODE_TOO_LARGE, "request headers too large (over 16 KiB)");
            }
            if (cause instanceof TooLongHttpLineException) {
                return Envelope.error(414, ApiException.CODE_TOO_LARGE, "request line too long (over 8 KiB)");
            }
            return Envelope.error(400, ApiException.CODE_INVALID, "malformed HTTP request");
        }
        if (head.protocolVersion().majorVersion() != 1 || head.protocolVersion().minorVersion() > 1
                || !"HTTP".equals(head.protocolVersion().protocolName())) {
            return Envelope.error(505, ApiException.CODE_INVALID, "HTTP version " + head.protocolVersion().text()
                    + " not supported: the API speaks HTTP/1.1");
        }
        if (head.headers().getAll(HttpHeaderNames.AUTHORIZATION).size() > 1) {
            return Envelope.error(400, ApiException.CODE_INVALID, "more than one Authorization header");
        }
        return null;
    }
}
