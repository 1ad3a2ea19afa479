package dev.vpctunnel.edge.api;

import dev.vpctunnel.edge.directory.CreatedToken;
import dev.vpctunnel.edge.directory.Directory;
import dev.vpctunnel.edge.directory.Role;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/** /tokens[/{id}]: Admin only. The secret is in the POST result once, as "value"; only its hash is kept. */
final class TokensResource {
    private final Directory directory;

    TokensResource(Directory directory) {
        this.directory = directory;
    }

    ApiResponse handle(Call call, List<String> rest) {
        if (rest.isEmpty()) {
            return switch (call.method()) {
                case "GET" -> {
                    call.require(Role.ADMIN);
                    yield Envelope.list(call, call.data().apiTokens(call.account()), Render::token);
                }
                case "POST" -> {
                    call.require(Role.ADMIN);
                    yield create(call);
                }
                default -> throw call.notAllowed("GET", "POST");
            };
        }
        if (rest.size() != 1) {
            throw ApiException.notFound("no route for " + call.method() + " …/tokens/" + String.join("/", rest));
        }
        if (!call.is("DELETE")) {
            throw call.notAllowed("DELETE");
        }
        call.require(Role.ADMIN);
        String id = rest.get(0);
        var t = call.data().apiTokenById(call.account(), id)
                .orElseThrow(() -> ApiException.notFound("token " + id + " not found"));
        directory.deleteApiToken(call.account(), id);
        return Envelope.ok(Json.object().put("id", t.id()));
    }

    private ApiResponse create(Call call) {
        JsonNode n = call.json();
        Json.onlyFields(n, "", Set.of("name", "roles"));
        String name = Json.reqString(n, "", "name");
        JsonNode roles = n.get("roles");
        if (roles == null || roles.isNull() || !roles.isArray() || roles.isEmpty()) {
            throw ApiException.invalid("roles: a non-empty array of role names is required (" + Role.allLabels() + ")");
        }
        Set<Role> set = EnumSet.noneOf(Role.class);
        for (int i = 0; i < roles.size(); i++) {
            JsonNode r = roles.get(i);
            Role role = r.isString() ? Role.parse(r.stringValue()).filter(x -> x.label().equals(r.stringValue()))
                    .orElse(null) : null;
            if (role == null) {
                throw ApiException.invalid("roles[" + i + "]: " + Json.shown(r) + " is not a role (one of "
                        + Role.allLabels() + ")");
            }
            set.add(role);
        }
        CreatedToken created = directory.createApiToken(call.account(), name, set);
        ObjectNode o = Render.token(created.record());
        o.put("value", created.secret());
        return Envelope.ok(o);
    }
}
