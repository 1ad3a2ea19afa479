package dev.vpctunnel.edge.api;

/** A status and a JSON envelope; allow is the Allow header of a 405, else null. */
record ApiResponse(int status, byte[] body, String allow) {
    ApiResponse(int status, byte[] body) {
        this(status, body, null);
    }
}
