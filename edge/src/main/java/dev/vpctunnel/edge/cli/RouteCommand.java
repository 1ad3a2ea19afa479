package dev.vpctunnel.edge.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/** edge route add|list|delete (teamnet CIDR routes) and edge route hostname add|list|delete. */
@Command(name = "route", mixinStandardHelpOptions = true, subcommands = RouteCommand.Hostname.class,
        description = "Manage private network routes: CIDR -> tunnel, and (route hostname) hostname -> tunnel.")
public final class RouteCommand {
    private static final String PATH = "/teamnet/routes";

    @Command(name = "add", mixinStandardHelpOptions = true, description = "Route a CIDR (IPv4 or IPv6) of the private network to a tunnel.")
    int add(@Mixin AdminOptions o, @Parameters(paramLabel = "CIDR") String cidr,
            @Parameters(paramLabel = "TUNNEL", description = "The tunnel's id or name.") String tunnel,
            @Option(names = "--comment", paramLabel = "TEXT") String comment) {
        return o.run(() -> {
            ApiClient c = o.client();
            ObjectNode body = ApiClient.JSON.createObjectNode().put("network", cidr).put("tunnel_id", c.tunnelId(tunnel));
            if (comment != null) {
                body.put("comment", comment);
            }
            JsonNode r = c.post(c.accountPath(PATH), body);
            o.out().println("Added route " + r.path("network").asString() + " -> tunnel " + tunnel + " (route id "
                    + r.path("id").asString() + ")");
            o.out().flush();
            return 0;
        });
    }

    @Command(name = "list", mixinStandardHelpOptions = true, description = "List the CIDR routes.")
    int list(@Mixin AdminOptions o) {
        return o.run(() -> {
            ApiClient c = o.client();
            o.print(c.get(c.accountPath(PATH)));
            return 0;
        });
    }

    @Command(name = "delete", mixinStandardHelpOptions = true, description = "Delete a CIDR route by its id.")
    int delete(@Mixin AdminOptions o, @Parameters(paramLabel = "ROUTE_ID") String id) {
        return o.run(() -> {
            ApiClient c = o.client();
            c.delete(c.accountPath(PATH + "/" + ApiClient.seg(id)));
            o.out().println("Deleted route " + id);
            o.out().flush();
            return 0;
        });
    }

    /** edge route hostname add|list|delete. */
    @Command(name = "hostname", mixinStandardHelpOptions = true,
            description = "Hostname routes: which tunnel resolves and reaches a name (for cf1:network bindings).")
    public static final class Hostname {
        private static final String HPATH = "/zerotrust/routes/hostname";

        @Command(name = "add", mixinStandardHelpOptions = true, description = "Route a hostname (db.internal) or a wildcard (*.corp.internal) to a tunnel.")
        int add(@Mixin AdminOptions o, @Parameters(paramLabel = "HOSTNAME") String hostname,
                @Parameters(paramLabel = "TUNNEL", description = "The tunnel's id or name.") String tunnel,
                @Option(names = "--comment", paramLabel = "TEXT") String comment) {
            return o.run(() -> {
                ApiClient c = o.client();
                ObjectNode body = ApiClient.JSON.createObjectNode().put("hostname", hostname).put("tunnel_id", c.tunnelId(tunnel));
                if (comment != null) {
                    body.put("comment", comment);
                }
                JsonNode r = c.post(c.accountPath(HPATH), body);
                o.out().println("Added hostname route " + r.path("hostname").asString() + " -> tunnel " + tunnel
                        + " (route id " + r.path("id").asString() + ")");
                o.out().flush();
                return 0;
            });
        }

        @Command(name = "list", mixinStandardHelpOptions = true, description = "List the hostname routes.")
        int list(@Mixin AdminOptions o) {
            return o.run(() -> {
                ApiClient c = o.client();
                o.print(c.get(c.accountPath(HPATH)));
                return 0;
            });
        }

        @Command(name = "delete", mixinStandardHelpOptions = true, description = "Delete a hostname route by its id.")
        int delete(@Mixin AdminOptions o, @Parameters(paramLabel = "ROUTE_ID") String id) {
            return o.run(() -> {
                ApiClient c = o.client();
                c.delete(c.accountPath(HPATH + "/" + ApiClient.seg(id)));
                o.out().println("Deleted hostname route " + id);
                o.out().flush();
                return 0;
            });
        }
    }
}
