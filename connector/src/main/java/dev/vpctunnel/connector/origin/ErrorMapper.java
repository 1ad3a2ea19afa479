package dev.vpctunnel.connector.origin;

import dev.vpctunnel.connector.dns.OriginResolver;
import dev.vpctunnel.core.link.LinkHeaders;
import dev.vpctunnel.proto.ConnectError;
import dev.vpctunnel.proto.ErrorCode;
import io.netty.channel.ConnectTimeoutException;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.handler.ssl.SslHandshakeTimeoutException;

import javax.net.ssl.SSLException;
import java.net.ConnectException;
import java.nio.channels.ClosedChannelException;
import java.util.Base64;

/** Maps failures to the link's error codes and builds the 502 answer that carries them. */
final class ErrorMapper {
    private static final int MAX_MESSAGE = 512;

    private ErrorMapper() {
    }

    static FetchFailure toFailure(Throwable t) {
        if (t instanceof FetchFailure f) {
            return f;
        }
        if (t instanceof OriginResolver.DnsFailure d) {
            return new FetchFailure(ErrorCode.DNS_FAILED, d.getMessage(), d.timedOut());
        }
        if (t instanceof SslHandshakeTimeoutException) {
            return new FetchFailure(ErrorCode.TLS_FAILED, "TLS handshake timed out: " + t.getMessage(), true);
        }
        if (t instanceof SSLException || t.getCause() instanceof SSLException) {
            return new FetchFailure(ErrorCode.TLS_FAILED, "TLS handshake failed: " + OriginTls.reason(t));
        }
        if (t instanceof ConnectTimeoutException) {
            return new FetchFailure(ErrorCode.CONNECT_TIMEOUT, t.getMessage());
        }
        if (t instanceof ConnectException) {
            return new FetchFailure(ErrorCode.CONNECT_FAILED, HappyEyeballsConnector.message(t));
        }
        if (t instanceof ClosedChannelException) {
            return new FetchFailure(ErrorCode.STREAM_RESET, "origin closed the connection");
        }
        return new FetchFailure(ErrorCode.STREAM_RESET, "origin connection failed: " + HappyEyeballsConnector.message(t));
    }

    /** The HEADERS that end a failed fetch stream: status 502, cf-link-error = base64(ConnectError), no body. */
    static Http2Headers headers(FetchFailure f) {
        String message = f.getMessage() == null ? "" : f.getMessage();
        if (message.length() > MAX_MESSAGE) {
            message = message.substring(0, MAX_MESSAGE);
        }
        ConnectError e = ConnectError.newBuilder().setCode(f.code()).setMessage(message).setTimedOut(f.timedOut()).build();
        return new DefaultHttp2Headers()
                .status(HttpResponseStatus.BAD_GATEWAY.codeAsText())
                .set(LinkHeaders.ERROR, Base64.getEncoder().encodeToString(e.toByteArray()))
                .set(HttpHeaderNames.CONTENT_LENGTH, "0");
    }

    /**
     * Why the origin's answer cannot go to the worker, or null: a status outside 100-599 ("099", "1000": no HTTP
     * client takes it; fetch() throws), 101 (the tunnel carries HTTP exchanges, not upgraded connections), or a head
     * ({@code linkHead}, null for a 1xx that is not passed on) over the link's header list size as HTTP/2 counts it
     * (each field's name and value plus 32 bytes): the link would refuse to carry it.
     */
    static String notCarried(HttpResponse r, Http2Headers linkHead) {
        if (linkHead != null) {
            long size = LinkHeaders.listSize(linkHead);
            if (size > LinkHeaders.MAX_HEADER_LIST) {
                return "origin's response head is " + size + " bytes as HTTP/2 counts it, over the "
                        + LinkHeaders.MAX_HEADER_LIST / 1024 + " KiB the tunnel carries";
            }
        }
        int code = r.status().code();
        if (code < 100 || code > 599) {
            return "origin answered with status " + code + ", which is not an HTTP status (100-599)";
        }
        if (code == HttpResponseStatus.SWITCHING_PROTOCOLS.code()) {
            String protocol = r.headers().get(HttpHeaderNames.UPGRADE);
            return "origin answered 101 Switching Protocols" + (protocol == null ? "" : " (to " + protocol + ")")
                    + ": protocol upgrades are not carried";
        }
        return null;
    }
}
