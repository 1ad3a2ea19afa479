package dev.vpctunnel.edge.api;

/**
 * A final answer decided before a request was read whole ({@link TokenGate}'s 401/404/400/503, {@link
 * BoundedAggregator}'s 413): it travels down the pipeline like a request, so that {@link ApiHttpHandler} writes it after
 * the answers to the requests pipelined before it, then shuts the connection gently (nothing after it is acted on).
 */
record Refused(ApiResponse answer) {
}
