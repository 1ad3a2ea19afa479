package dev.vpctunnel.connector.origin;

import dev.vpctunnel.proto.ErrorCode;

/** A fetch that could not be made, with the link's error code and a message for the worker. */
final class FetchFailure extends RuntimeException {
    private final ErrorCode code;
    private final boolean timedOut;

    FetchFailure(ErrorCode code, String message) {
        this(code, message, code == ErrorCode.CONNECT_TIMEOUT);
    }

    /** {@code timedOut}: the step ran out of time (the gateway answers 504 whatever the code). */
    FetchFailure(ErrorCode code, String message, boolean timedOut) {
        super(message, null, false, false);
        this.code = code;
        this.timedOut = timedOut;
    }

    boolean timedOut() {
        return timedOut;
    }

    ErrorCode code() {
        return code;
    }
}
