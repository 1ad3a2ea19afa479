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

    /** A list with result_info, as Cloudflare's list endpoints: every item on one page. */
    static ApiResponse list(ArrayNode items) {
        return list(items, 1, Math.max(items.size(), 1), items.size());
    }

    private static ApiResponse list(ArrayNode page, int pageNumber, int perPage, int total) {
        ObjectNode root = Json.object();
        root.put("success", true);
        root.putArray("errors");
        root.putArray("messages");
        root.set("result", page);
        ObjectNode info = root.putObject("result_info");
        info.put("page", pageNumber);
        info.put("per_page", perPage);
        info.put("count", page.size());
        info.put("total_count", total);
        info.put("total_pages", Math.max(1, (total + perPage - 1) / perPage));
        return new ApiResponse(200, Json.write(root));
    }

    /** Cloudflare's page size when a call asks for a page without saying its size. */
    static final int DEFAULT_PER_PAGE = 20;
    static final int MAX_PER_PAGE = 1000;

    /**
     * The call's page of the items, each rendered, in order. Cloudflare's {@code page} (from 1) and {@code per_page}
     * (1-1000, default 20) pick it; without either, every item comes on one page, as before paging existed here.
     */
    static <T> ApiResponse list(Call call, List<T> items, Function<? super T, ? extends JsonNode> render) {
        String pageParam = call.param("page");
        String perPageParam = call.param("per_page");
        int page = 1;
        int perPage = Math.max(items.size(), 1);
        if (pageParam != null || perPageParam != null) {
            page = pageParam == null ? 1 : whole(pageParam, "page", 1, Integer.MAX_VALUE);
            perPage = perPageParam == null ? DEFAULT_PER_PAGE : whole(perPageParam, "per_page", 1, MAX_PER_PAGE);
        }
        ArrayNode out = Json.MAPPER.createArrayNode();
        long from = (long) (page - 1) * perPage;
        for (long i = from; i < Math.min(items.size(), from + perPage); i++) {
            out.add(render.apply(items.get((int) i)));
        }
        return list(out, page, perPage, items.size());
    }

    private static int whole(String value, String name, int min, int max) {
        long n = value.matches("\\d{1,10}") ? Long.parseLong(value) : -1;
        if (n < min || n > max) {
            throw ApiException.invalid(name + ": must be a whole number from " + min
                    + (max == Integer.MAX_VALUE ? "" : " to " + max) + ", got '" + Json.clip(value) + "'");
        }
        return (int) n;
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
