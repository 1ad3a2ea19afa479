package dev.vpctunnel.edge.api;

import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

import java.util.List;
import java.util.function.Function;

/** Cloudflare's response envelope: {"success","errors":[{"code","message"}],"messages":[],"result"}. */
final class Envelope {
    private Envelope() {
    }

    static ApiResponse ok(JsonNode result) {
        return ok(200, result);
    }

    static ApiResponse ok(int status, JsonNode result) {
        ObjectNode root = Json.object();
        root.put("success", true);
        root.putArray("errors");
        root.putArray("messages");
        root.set("result", result);
        return new ApiResponse(status, Json.write(root));
    }

    /** A list with result_info, as Cloudflare's list endpoints. */
    static ApiResponse list(ArrayNode items) {
        ObjectNode root = Json.object();
        root.put("success", true);
        root.putArray("errors");
        root.putArray("messages");
        root.set("result", items);
        ObjectNode info = root.putObject("result_info");
        info.put("page", 1);
        info.put("per_page", Math.max(items.size(), 1));
        info.put("count", items.size());
        info.put("total_count", items.size());
        return new ApiResponse(200, Json.write(root));
    }

    /** {@link #list(ArrayNode)} of each item rendered, in order. */
    static <T> ApiResponse list(List<T> items, Function<? super T, ? extends JsonNode> render) {
        ArrayNode out = Json.MAPPER.createArrayNode();
        items.forEach(t -> out.add(render.apply(t)));
        return list(out);
    }

    static ApiResponse error(int status, int code, String message) {
        ObjectNode root = Json.object();
        root.put("success", false);
        ObjectNode e = root.putArray("errors").addObject();
        e.put("code", code);
        e.put("message", message);
        root.putArray("messages");
        root.putNull("result");
        return new ApiResponse(status, Json.write(root));
    }

    static ApiResponse error(ApiException e) {
        ApiResponse r = error(e.status(), e.code(), e.getMessage());
        return new ApiResponse(r.status(), r.body(), e.allow());
    }
}
