package dev.vpctunnel.edge.gateway;

/** A fetch refused before anything was sent to a connector. */
final class FetchException extends Exception {
    private final FetchError.Code code;

    FetchException(FetchError.Code code, String message) {
        super(message, null, false, false);
        this.code = code;
    }

    FetchError error() {
        return FetchError.of(code, getMessage());
    }
}
