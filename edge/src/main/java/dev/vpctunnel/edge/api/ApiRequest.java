package dev.vpctunnel.edge.api;

import java.util.List;
import java.util.Map;

/** A request as the router sees it: decoded path segments, query, bearer token and the whole (bounded) body. */
record ApiRequest(String method, String path, Map<String, List<String>> query, String authorization, byte[] body) {
    @Override
    public String toString() {
        return method + " " + path;
    }
}
