package dev.vpctunnel.edge.gateway;

import dev.vpctunnel.core.log.Logs;
import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;

import java.nio.charset.StandardCharsets;

/** Why a fetch could not be made, as the contract's error codes: status, cf-vpc-error header and JSON body. */
public record FetchError(Code code, String message, int status) {
    public enum Code {
        UNAUTHORIZED("unauthorized", 401),
        BINDING_NOT_FOUND("binding_not_found", 403),
        SCHEME_NOT_ALLOWED("scheme_not_allowed", 403),
        NO_ROUTE("no_route", 502),
        NO_CONNECTOR("no_connector", 502),
        DNS_FAILED("dns_failed", 502),
        CONNECT_FAILED("connect_failed", 502),
        CONNECT_TIMEOUT("connect_timeout", 504),
        TLS_FAILED("tls_failed", 502),
        DESTINATION_DENIED("destination_denied", 502),
        STREAM_RESET("stream_reset", 502);

        private final String wire;
        private final int status;

        Code(String wire, int status) {
            this.wire = wire;
            this.status = status;
        }

        public String wire() {
            return wire;
        }

        public int status() {
            return status;
        }
    }

    public static final String HEADER = "cf-vpc-error";

    public static FetchError of(Code code, String message) {
        return new FetchError(code, message, code.status);
    }

    /** A step that ran out of time: 504, as the contract gives timeouts, with the code of the step (tls_failed). */
    public static FetchError timedOut(Code code, String message) {
        return new FetchError(code, message, 504);
    }

    /** The response the worker sees: fetch() rejects with the code and message. */
    public FullHttpResponse toResponse(ByteBufAllocator alloc, boolean keepAlive) {
        String json = "{\"error\":{\"code\":\"" + code.wire + "\",\"message\":\"" + Logs.escape(message) + "\"}}";
        byte[] body = json.getBytes(StandardCharsets.UTF_8);
        FullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.valueOf(status),
                alloc.buffer(body.length).writeBytes(body));
        r.headers().set(HEADER, code.wire)
                .set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.APPLICATION_JSON)
                .setInt(HttpHeaderNames.CONTENT_LENGTH, body.length);
        if (!keepAlive) {
            r.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        }
        return r;
    }
}
