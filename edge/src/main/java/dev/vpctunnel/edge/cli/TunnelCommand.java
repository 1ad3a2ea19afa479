package dev.vpctunnel.edge.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import tools.jackson.databind.JsonNode;

/** edge tunnel create|list|get|token|connections|delete. */
@Command(name = "tunnel", mixinStandardHelpOptions = true, description = "Manage tunnels (REST client of the admin API).")
public final class TunnelCommand {
    private static final String PATH = "/cfd_tunnel";

    @Command(name = "create", mixinStandardHelpOptions = true, description = "Create a tunnel; prints its id and its token (for 'connector run --token-file FILE').")
    int create(@Mixin AdminOptions o, @Option(names = "--json", description = "Print the result as JSON.") boolean json,
               @Parameters(paramLabel = "NAME") String name) {
        return o.run(() -> {
            ApiClient c = o.client();
            JsonNode t = c.post(c.accountPath(PATH), ApiClient.JSON.createObjectNode().put("name", name));
            if (json) {
                o.print(t);
            } else {
                o.out().println("Created tunnel " + t.path("name").asString());
                o.out().println("id:    " + t.path("id").asString());
                o.out().println("token: " + t.path("token").asString());
                o.out().flush();
            }
            return 0;
        });
    }

    @Command(name = "token", mixinStandardHelpOptions = true, description = "Print the token of a tunnel.")
    int token(@Mixin AdminOptions o, @Option(names = "--json", description = "Print the result as JSON.") boolean json,
               @Parameters(paramLabel = "TUNNEL", description = "The tunnel's id or name.") String tunnel) {
        return o.run(() -> {
            ApiClient c = o.client();
            String id = c.tunnelId(tunnel);
            JsonNode t = c.get(c.accountPath(PATH + "/" + id + "/token"));
            if (json) {
                o.print(t);
            } else {
                o.out().println(t.asString());
                o.out().flush();
            }
            return 0;
        });
    }

    @Command(name = "list", mixinStandardHelpOptions = true, description = "List the tunnels of the account.")
    int list(@Mixin AdminOptions o,
             @Option(names = "--json", description = "Print the result as JSON.") boolean json) {
        return o.run(() -> {
            ApiClient c = o.client();
            JsonNode list = c.get(c.accountPath(PATH));
            if (json) {
                o.print(list);
            } else {
                int nameWidth = 4;
                for (JsonNode t : list) {
                    nameWidth = Math.max(nameWidth, t.path("name").asString().length());
                }
                String row = "%-36s  %-" + nameWidth + "s  %-20s  %-8s  %s%n";
                o.out().printf(row, "ID", "NAME", "CREATED", "STATUS", "CONNECTIONS");
                for (JsonNode t : list) {
                    o.out().printf(row, t.path("id").asString(), t.path("name").asString(), toSeconds(t.path("created_at").asString()),
                            t.path("status").asString(), connections(t.path("connections")));
                }
                o.out().flush();
            }
            return 0;
        });
    }

    /** An API time to the second, as cloudflared lists it; as it came when it is not one. */
    static String toSeconds(String time) {
        try {
            return java.time.Instant.parse(time).truncatedTo(java.time.temporal.ChronoUnit.SECONDS).toString();
        } catch (java.time.format.DateTimeParseException e) {
            return time;
        }
    }

    /** A tunnel's live links as cloudflared lists them: how many per edge, "2xedge-a, 1xedge-b"; empty without links. */
    static String connections(JsonNode links) {
        java.util.Map<String, Integer> perEdge = new java.util.TreeMap<>();
        for (JsonNode l : links) {
            perEdge.merge(l.path("colo_name").asString(), 1, Integer::sum);
        }
        StringBuilder sb = new StringBuilder();
        perEdge.forEach((edge, n) -> sb.append(sb.length() == 0 ? "" : ", ").append(n).append('x').append(edge));
        return sb.toString();
    }

    @Command(name = "get", mixinStandardHelpOptions = true, description = "Show a tunnel.")
    int get(@Mixin AdminOptions o, @Parameters(paramLabel = "TUNNEL", description = "The tunnel's id or name.") String tunnel) {
        return o.run(() -> {
            ApiClient c = o.client();
            o.print(c.get(c.accountPath(PATH + "/" + c.tunnelId(tunnel))));
            return 0;
        });
    }

    @Command(name = "connections", mixinStandardHelpOptions = true, description = "Show the live links of a tunnel, per connector.")
    int connections(@Mixin AdminOptions o, @Parameters(paramLabel = "TUNNEL", description = "The tunnel's id or name.") String tunnel) {
        return o.run(() -> {
            ApiClient c = o.client();
            o.print(c.get(c.accountPath(PATH + "/" + c.tunnelId(tunnel) + "/connections")));
            return 0;
        });
    }

    @Command(name = "delete", mixinStandardHelpOptions = true, description = "Delete a tunnel (refused while a service uses it); its routes go too.")
    int delete(@Mixin AdminOptions o, @Option(names = "--json", description = "Print the result as JSON.") boolean json,
               @Parameters(paramLabel = "TUNNEL", description = "The tunnel's id or name.") String tunnel) {
        return o.run(() -> {
            ApiClient c = o.client();
            String id = c.tunnelId(tunnel);
            JsonNode r = c.delete(c.accountPath(PATH + "/" + id));
            if (json) {
                o.print(r);
            } else {
                o.out().println("Deleted tunnel " + id + (id.equals(tunnel) ? "" : " (" + tunnel + ")"));
                o.out().flush();
            }
            return 0;
        });
    }
}
