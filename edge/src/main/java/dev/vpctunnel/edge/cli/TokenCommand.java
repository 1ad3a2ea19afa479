package dev.vpctunnel.edge.cli;

import dev.vpctunnel.edge.directory.Role;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

import java.util.List;

/** edge token create|list|delete (API tokens; needs an Admin token); recover works on a stopped edge's store. */
@Command(name = "token", mixinStandardHelpOptions = true, description = "Manage admin API tokens.",
        subcommands = TokenRecoverCommand.class)
public final class TokenCommand {
    private static final String PATH = "/tokens";

    @Command(name = "create", mixinStandardHelpOptions = true, description = "Create an API token; its secret is printed once.")
    int create(@Mixin AdminOptions o, @Parameters(paramLabel = "NAME") String name,
               @Option(names = "--role", paramLabel = "ROLE", required = true, split = ",",
                       description = "read, bind, admin, or the full names (Connectivity Directory Read|Bind|Admin); repeatable.")
               List<String> roles,
               @Option(names = "--json", description = "Print the result as JSON.") boolean json) {
        return o.run(() -> {
            ArrayNode rs = ApiClient.JSON.createArrayNode();
            for (String r : roles) {
                rs.add(Role.parse(r.trim()).orElseThrow(() -> new IllegalArgumentException(
                        "--role: '" + r + "' is not a role (read, bind, admin)")).label());
            }
            ApiClient c = o.client();
            ObjectNode body = ApiClient.JSON.createObjectNode().put("name", name);
            body.set("roles", rs);
            JsonNode t = c.post(c.accountPath(PATH), body);
            if (json) {
                o.print(t);
            } else {
                o.out().println("Created token " + t.path("name").asString() + " (id " + t.path("id").asString() + ")");
                o.out().println("token: " + t.path("value").asString());
                o.out().println("(shown once: only a hash is kept)");
                o.out().flush();
            }
            return 0;
        });
    }

    @Command(name = "list", mixinStandardHelpOptions = true, description = "List the API tokens (no secrets).")
    int list(@Mixin AdminOptions o) {
        return o.run(() -> {
            ApiClient c = o.client();
            o.print(c.get(c.accountPath(PATH)));
            return 0;
        });
    }

    @Command(name = "delete", aliases = "revoke", mixinStandardHelpOptions = true, description = "Revoke an API token by its id.")
    int delete(@Mixin AdminOptions o, @Parameters(paramLabel = "TOKEN_ID") String id) {
        return o.run(() -> {
            ApiClient c = o.client();
            c.delete(c.accountPath(PATH + "/" + ApiClient.seg(id)));
            o.out().println("Revoked token " + id);
            o.out().flush();
            return 0;
        });
    }
}
