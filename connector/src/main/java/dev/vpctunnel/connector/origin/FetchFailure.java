package dev.vpctunnel.connector.origin;

import dev.vpctunnel.proto.ErrorCode;

/** A fetch that could not be made, with the link's error code and a message for the worker. */
final class FetchFailure extends RuntimeException {
    private final ErrorCode code;

    FetchFailure(ErrorCode code, String message) {
        super(message, null, false, false);
        this.code = code;
    }

    ErrorCode code() {
        return code;
    }
}
