package dev.vpctunnel.edge.gateway;

import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;

/** How a worker's request and the answer to it are framed on the worker's connection. */
final class WorkerFraming {
    private WorkerFraming() {
    }

    /** HTTP/1.1 without Content-Length or Transfer-Encoding (or with Content-Length 0), or h2c ended by HEADERS. */
    static boolean requestHasNoBody(HttpRequest request, boolean h2Client) {
        if (request instanceof LastHttpContent last) {
            return !last.content().isReadable() && last.trailingHeaders().isEmpty();
        }
        if (h2Client || HttpUtil.isTransferEncodingChunked(request)) {
            return false;
        }
        try {
            return HttpUtil.getContentLength(request, 0L) == 0;
        } catch (NumberFormatException e) {
            return false;
        }
    }

    /**
     * Frames an answer's head for an HTTP/1.x worker: a body of unknown length is chunked, or for HTTP/1.0 (which has
     * no chunked coding, RFC 9112 6.1) ends where the connection does; Connection: close when the connection ends
     * after it, keep-alive spelled out for HTTP/1.0 (which closes unless told). Returns whether the connection must
     * close after this answer.
     */
    static boolean responseHead(HttpResponse r, HttpRequest request, boolean keepAlive) {
        int code = r.status().code();
        boolean bodyless = code < 200 || code == 204 || code == 304 || HttpMethod.HEAD.equals(request.method());
        boolean http10 = HttpVersion.HTTP_1_0.equals(request.protocolVersion());
        boolean closeAfter = false;
        if (!(r instanceof FullHttpResponse) && !bodyless && !HttpUtil.isContentLengthSet(r)) {
            if (http10) {
                closeAfter = true;
            } else {
                HttpUtil.setTransferEncodingChunked(r, true);
            }
        }
        if (!keepAlive || closeAfter) {
            r.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        } else if (http10) {
            r.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.KEEP_ALIVE);
        }
        return closeAfter;
    }
}
