package dev.vpctunnel.core.metrics;

import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * What GET /ready answers: 200 or 503, with cloudflared's body for it ({@code {"status":200,"readyConnections":4,
 * "connectorId":"…"}}), so that a probe or a script sees how many links are up and which process answered.
 *
 * @param ready            200 when true, else 503
 * @param readyConnections the registered links that take fetches
 * @param idField          the name of the id's field: connectorId (as cloudflared's) or edgeId
 * @param id               the process's id
 */
public record Readiness(boolean ready, int readyConnections, String idField, String id) {
    private static final JsonMapper JSON = JsonMapper.builder().build();

    int status() {
        return ready ? 200 : 503;
    }

    String body() {
        ObjectNode o = JSON.createObjectNode();
        o.put("status", status());
        o.put("readyConnections", readyConnections);
        o.put(idField, id);
        return JSON.writeValueAsString(o) + "\n";
    }
}
