package dev.vpctunnel.edge.gateway;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.vpctunnel.core.link.LinkHeaders;
import dev.vpctunnel.proto.ConnectError;
import io.netty.handler.codec.http.HttpResponse;

import java.util.Base64;

/** The connector's "could not make the request" answer, mapped to the contract's codes. */
final class ConnectErrors {
    private ConnectErrors() {
    }

    /** The error a connector reported on this response, or null when it is the origin's own response. */
    static FetchError fromResponse(HttpResponse r) {
        if (r.status().code() != 502) {
            return null;
        }
        String v = r.headers().get(LinkHeaders.ERROR);
        if (v == null) {
            return null;
        }
        ConnectError e;
        try {
            e = ConnectError.parseFrom(Base64.getDecoder().decode(v));
        } catch (InvalidProtocolBufferException | IllegalArgumentException ex) {
            return FetchError.of(FetchError.Code.STREAM_RESET, "the connector sent an unreadable error");
        }
        FetchError.Code code = switch (e.getCode()) {
            case DNS_FAILED -> FetchError.Code.DNS_FAILED;
            case CONNECT_FAILED -> FetchError.Code.CONNECT_FAILED;
            case CONNECT_TIMEOUT -> FetchError.Code.CONNECT_TIMEOUT;
            case TLS_FAILED -> FetchError.Code.TLS_FAILED;
            case DESTINATION_DENIED -> FetchError.Code.DESTINATION_DENIED;
            // the connector refused what it was sent: a destination it cannot use (scheme, port, addresses, hostname,
            // server_name, resolvers) or a request head it could not turn into HTTP/1.1. Nothing reached the origin and
            // the same fetch would be refused again: as for a URL the gateway itself cannot route
            case BAD_REQUEST -> FetchError.Code.NO_ROUTE;
            default -> FetchError.Code.STREAM_RESET;
        };
        return e.getTimedOut() ? FetchError.timedOut(code, e.getMessage()) : FetchError.of(code, e.getMessage());
    }
}
