package dev.vpctunnel.edge.api;

/** A status and a JSON envelope. */
record ApiResponse(int status, byte[] body) {
}
