package dev.vpctunnel.edge.gateway;

import dev.vpctunnel.core.link.LinkHeaders;
import dev.vpctunnel.proto.ConnectError;
import dev.vpctunnel.proto.ErrorCode;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Base64;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

class FetchErrorTest {
    /** CONTRACT.md, worker gateway: "CODE is one of ..." and the statuses it gives (502 unless said otherwise). */
    @Test
    void codesAreExactlyTheContractsWithItsStatuses() {
        Map<String, Integer> contract = Map.ofEntries(Map.entry("unauthorized", 401), Map.entry("binding_not_found", 403),
                Map.entry("scheme_not_allowed", 403), Map.entry("no_route", 502), Map.entry("no_connector", 502),
                Map.entry("dns_failed", 502), Map.entry("connect_failed", 502), Map.entry("connect_timeout", 504),
                Map.entry("tls_failed", 502), Map.entry("destination_denied", 502), Map.entry("stream_reset", 502));
        Map<String, Integer> ours = Arrays.stream(FetchError.Code.values())
                .collect(Collectors.toMap(FetchError.Code::wire, FetchError.Code::status));
        assertEquals(contract, ours);
    }

    @Test
    void everyConnectorErrorMapsToAContractCode() {
        Set<String> contract = Arrays.stream(FetchError.Code.values()).map(FetchError.Code::wire).collect(Collectors.toSet());
        for (ErrorCode c : ErrorCode.values()) {
            if (c == ErrorCode.UNRECOGNIZED) {
                continue;
            }
            FetchError e = ConnectErrors.fromResponse(linkError(c, "m"));
            assertEquals(true, contract.contains(e.code().wire()), c + " -> " + e.code().wire());
        }
        assertEquals(FetchError.Code.DNS_FAILED, ConnectErrors.fromResponse(linkError(ErrorCode.DNS_FAILED, "m")).code());
        assertEquals(FetchError.Code.STREAM_RESET, ConnectErrors.fromResponse(linkError(ErrorCode.STREAM_RESET, "m")).code());
    }

    /** The connector refuses a request it cannot turn into a destination (e.g. a port above 65535): no_route. */
    @Test
    void theConnectorsBadRequestIsNoRouteWithItsMessage() {
        FetchError e = ConnectErrors.fromResponse(linkError(ErrorCode.BAD_REQUEST, "port must be 1-65535, got 70000"));
        assertEquals(FetchError.Code.NO_ROUTE, e.code());
        assertEquals("port must be 1-65535, got 70000", e.message());
    }

    @Test
    void aHeadTheDecoderRefusedGetsAPlain400NamingTheProblem() {
        FullHttpResponse r = MalformedRequest.response(UnpooledByteBufAllocator.DEFAULT,
                new IllegalArgumentException("invalid character 0x1 in header 'Bad\u0001Name'"));
        try {
            assertEquals(400, r.status().code());
            assertNull(r.headers().get(FetchError.HEADER));
            assertEquals("text/plain; charset=UTF-8", r.headers().get("content-type"));
            assertEquals("close", r.headers().get("connection"));
            String body = r.content().toString(StandardCharsets.UTF_8);
            assertEquals("bad request: invalid character 0x1 in header 'Bad\\x01Name'\n", body);
            assertEquals(body.getBytes(StandardCharsets.UTF_8).length, r.headers().getInt("content-length"));
        } finally {
            r.release();
        }
        assertEquals("TooLongHttpHeaderException", MalformedRequest.reason(new io.netty.handler.codec.http.TooLongHttpHeaderException((String) null)));
        assertEquals(201, MalformedRequest.reason(new IllegalArgumentException("x".repeat(5000))).length());
    }

    @Test
    void aHeadOrRequestLineOverTheDecodersLimitIs431Or414() {
        FullHttpResponse head = MalformedRequest.response(UnpooledByteBufAllocator.DEFAULT,
                new io.netty.handler.codec.http.TooLongHttpHeaderException("HTTP header is larger than 65536 bytes."));
        FullHttpResponse line = MalformedRequest.response(UnpooledByteBufAllocator.DEFAULT,
                new io.netty.handler.codec.http.TooLongHttpLineException("An HTTP line is larger than 8192 bytes."));
        try {
            assertEquals(431, head.status().code());
            assertEquals("request header fields too large: HTTP header is larger than 65536 bytes.\n",
                    head.content().toString(StandardCharsets.UTF_8));
            assertEquals(414, line.status().code());
            assertEquals("request line too long: An HTTP line is larger than 8192 bytes.\n",
                    line.content().toString(StandardCharsets.UTF_8));
            assertEquals("close", head.headers().get("connection"));
            assertEquals("close", line.headers().get("connection"));
            assertNull(head.headers().get(FetchError.HEADER));
        } finally {
            head.release();
            line.release();
        }
    }

    /** "502 (504 for a timeout)": a TLS handshake that ran out of time keeps its code and answers 504. */
    @Test
    void aTimedOutStepAnswers504WithItsOwnCode() {
        FetchError e = ConnectErrors.fromResponse(linkError(ErrorCode.TLS_FAILED, "TLS handshake timed out", true));
        assertEquals(FetchError.Code.TLS_FAILED, e.code());
        FullHttpResponse r = e.toResponse(UnpooledByteBufAllocator.DEFAULT, true);
        try {
            assertEquals(504, r.status().code());
            assertEquals("tls_failed", r.headers().get(FetchError.HEADER));
        } finally {
            r.release();
        }
        FullHttpResponse refused = ConnectErrors.fromResponse(linkError(ErrorCode.TLS_FAILED, "untrusted issuer"))
                .toResponse(UnpooledByteBufAllocator.DEFAULT, true);
        try {
            assertEquals(502, refused.status().code());
        } finally {
            refused.release();
        }
    }

    private static HttpResponse linkError(ErrorCode code, String message) {
        return linkError(code, message, false);
    }

    private static HttpResponse linkError(ErrorCode code, String message, boolean timedOut) {
        HttpResponse r = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.BAD_GATEWAY);
        r.headers().set(LinkHeaders.ERROR, Base64.getEncoder().encodeToString(ConnectError.newBuilder().setCode(code)
                .setMessage(message).setTimedOut(timedOut).build().toByteArray()));
        return r;
    }
}
