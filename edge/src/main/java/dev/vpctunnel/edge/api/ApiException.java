package dev.vpctunnel.edge.api;

/** An error answered in Cloudflare's envelope: HTTP status, numeric code and a message for the user. */
final class ApiException extends RuntimeException {
    static final int CODE_INVALID = 1001;
    static final int CODE_UNAUTHENTICATED = 10000;
    static final int CODE_FORBIDDEN = 10001;
    static final int CODE_NOT_FOUND = 7003;
    static final int CODE_NO_ROUTE = 7000;
    static final int CODE_METHOD = 7001;
    static final int CODE_CONFLICT = 1009;
    static final int CODE_TOO_LARGE = 1013;
    static final int CODE_LIMIT = 1014;
    static final int CODE_UNAVAILABLE = 1503;
    static final int CODE_INTERNAL = 1500;

    private final int status;
    private final int code;
    private final String allow;

    ApiException(int status, int code, String message) {
        this(status, code, message, null);
    }

    /** allow: the methods a 405 names in its Allow header. */
    ApiException(int status, int code, String message, String allow) {
        super(message, null, false, false);
        this.status = status;
        this.code = code;
        this.allow = allow;
    }

    String allow() {
        return allow;
    }

    int status() {
        return status;
    }

    int code() {
        return code;
    }

    static ApiException invalid(String message) {
        return new ApiException(400, CODE_INVALID, message);
    }

    static ApiException notFound(String message) {
        return new ApiException(404, CODE_NOT_FOUND, message);
    }

    static ApiException forbidden(String message) {
        return new ApiException(403, CODE_FORBIDDEN, message);
    }
}
