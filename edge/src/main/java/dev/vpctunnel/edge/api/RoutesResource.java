package dev.vpctunnel.edge.api;

import dev.vpctunnel.edge.directory.Cidr;
import dev.vpctunnel.edge.directory.Directory;
import dev.vpctunnel.edge.directory.HostnameRouteRecord;
import dev.vpctunnel.edge.directory.HostnameRoutes;
import dev.vpctunnel.edge.directory.Role;
import dev.vpctunnel.edge.directory.RouteRecord;
import tools.jackson.databind.JsonNode;

import java.util.List;
import java.util.Set;
import java.util.UUID;

/** /teamnet/routes[/{id}] (CIDR to tunnel) and /zerotrust/routes/hostname[/{id}]: Admin writes, Read reads. */
final class RoutesResource {
    private final Directory directory;

    RoutesResource(Directory directory) {
        this.directory = directory;
    }

    ApiResponse handleNetworks(Call call, List<String> rest) {
        if (rest.isEmpty()) {
            return switch (call.method()) {
                case "GET" -> {
                    call.require(Role.READ, Role.ADMIN);
                    yield Envelope.list(call, ofTunnel(call, call.data().routes(call.account()), RouteRecord::tunnelId), Render::route);
                }
                case "POST" -> {
                    call.require(Role.ADMIN);
                    JsonNode n = call.json();
                    Json.onlyFields(n, "", Set.of("network", "tunnel_id", "comment"));
                    String network = Json.reqString(n, "", "network");
                    Cidr cidr;
                    try {
                        cidr = Cidr.parse(network);
                    } catch (IllegalArgumentException e) {
                        throw ApiException.invalid("network: " + e.getMessage());
                    }
                    UUID tunnel = Json.reqUuid(n, "", "tunnel_id");
                    String comment = comment(n);
                    yield Envelope.ok(Render.route(directory.addRoute(call.account(), cidr, tunnel, comment)));
                }
                default -> throw call.notAllowed("GET", "POST");
            };
        }
        call.require(Role.ADMIN); // before the id: 403 without the role, whatever the id
        UUID id = single(call, rest, "route");
        var r = call.data().routes(call.account()).stream().filter(x -> x.id().equals(id)).findFirst()
                .orElseThrow(() -> ApiException.notFound("route " + id + " not found"));
        directory.deleteRoute(call.account(), id);
        return Envelope.ok(Render.deleted(Render.route(r)));
    }

    ApiResponse handleHostnames(Call call, List<String> rest) {
        if (rest.isEmpty()) {
            return switch (call.method()) {
                case "GET" -> {
                    call.require(Role.READ, Role.ADMIN);
                    yield Envelope.list(call, ofTunnel(call, call.data().hostnameRoutes(call.account()), HostnameRouteRecord::tunnelId),
                            Render::hostnameRoute);
                }
                case "POST" -> {
                    call.require(Role.ADMIN);
                    JsonNode n = call.json();
                    Json.onlyFields(n, "", Set.of("hostname", "tunnel_id", "comment"));
                    String hostname;
                    try {
                        hostname = HostnameRoutes.normalize(Json.reqString(n, "", "hostname"));
                    } catch (IllegalArgumentException e) {
                        throw ApiException.invalid("hostname: " + e.getMessage());
                    }
                    UUID tunnel = Json.reqUuid(n, "", "tunnel_id");
                    String comment = comment(n);
                    yield Envelope.ok(Render.hostnameRoute(directory.addHostnameRoute(call.account(), hostname, tunnel,
                            comment)));
                }
                default -> throw call.notAllowed("GET", "POST");
            };
        }
        call.require(Role.ADMIN); // before the id: 403 without the role, whatever the id
        UUID id = single(call, rest, "hostname route");
        var r = call.data().hostnameRoutes(call.account()).stream().filter(x -> x.id().equals(id)).findFirst()
                .orElseThrow(() -> ApiException.notFound("hostname route " + id + " not found"));
        directory.deleteHostnameRoute(call.account(), id);
        return Envelope.ok(Render.deleted(Render.hostnameRoute(r)));
    }

    private static UUID single(Call call, List<String> rest, String what) {
        if (rest.size() != 1) {
            throw ApiException.notFound("no route for " + call.method() + " …/" + String.join("/", rest));
        }
        if (!call.is("DELETE")) {
            throw call.notAllowed("DELETE");
        }
        return ServicesResource.pathId(rest.get(0), what);
    }

    private static String comment(JsonNode n) {
        String c = Json.optString(n, "", "comment");
        if (c != null && c.length() > 255) {
            throw ApiException.invalid("comment: at most 255 characters");
        }
        return c;
    }

    /** The routes of the tunnel the call's {@code tunnel_id} filter names (Cloudflare's filter), else all of them. */
    private static <R> List<R> ofTunnel(Call call, List<R> routes, java.util.function.Function<R, UUID> tunnelOf) {
        String wanted = call.param("tunnel_id");
        if (wanted == null) {
            return routes;
        }
        UUID id = Json.uuid(Json.clip(wanted), "tunnel_id"); // clipped, it is still no UUID: only the message is shorter
        return routes.stream().filter(r -> id.equals(tunnelOf.apply(r))).toList();
    }
}
