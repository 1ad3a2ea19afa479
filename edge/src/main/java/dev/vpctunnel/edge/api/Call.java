package dev.vpctunnel.edge.api;

import dev.vpctunnel.edge.directory.ApiTokenRecord;
import dev.vpctunnel.edge.directory.DirectoryData;
import dev.vpctunnel.edge.directory.Role;
import tools.jackson.databind.JsonNode;

import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/** One authenticated call on an account: the resource handlers' input. */
record Call(String method, List<String> rest, ApiTokenRecord token, String account, byte[] body, DirectoryData data,
            Map<String, List<String>> query) {
    /** The query parameter's last value, or null. */
    String param(String name) {
        List<String> v = query.get(name);
        return v == null || v.isEmpty() ? null : v.get(v.size() - 1);
    }

    /** 403 unless the token has one of the roles (Admin implies every role). */
    void require(Role... anyOf) {
        for (Role r : anyOf) {
            if (token.has(r)) {
                return;
            }
        }
        throw ApiException.forbidden("this token lacks the role for " + method + ": needs "
                + Arrays.stream(anyOf).map(Role::label).collect(Collectors.joining(" or ")));
    }

    void requireRead() {
        require(Role.READ, Role.BIND, Role.ADMIN);
    }

    JsonNode json() {
        return Json.parseObject(body);
    }

    boolean is(String m) {
        return method.equals(m);
    }

    int size() {
        return rest.size();
    }

    String seg(int i) {
        return rest.get(i);
    }

    /** 405 naming the methods this path accepts. */
    ApiException notAllowed(String... allowed) {
        return methodNotAllowed(method, allowed);
    }

    /** 405 for method, naming the methods this path accepts. */
    static ApiException methodNotAllowed(String method, String... allowed) {
        return new ApiException(405, ApiException.CODE_METHOD, "method " + method + " not allowed here (allowed: "
                + String.join(", ", allowed) + ")", String.join(", ", allowed));
    }
}
