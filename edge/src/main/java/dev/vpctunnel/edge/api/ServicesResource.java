package dev.vpctunnel.edge.api;

import dev.vpctunnel.edge.directory.Directory;
import dev.vpctunnel.edge.directory.Role;
import dev.vpctunnel.edge.directory.ServiceRecord;
import dev.vpctunnel.edge.directory.ServiceSpec;

import java.util.List;
import java.util.UUID;

/** /connectivity/directory/services[/{service_id}]: Admin writes, any role reads. */
final class ServicesResource {
    private final Directory directory;

    ServicesResource(Directory directory) {
        this.directory = directory;
    }

    ApiResponse handle(Call call, List<String> rest) {
        if (rest.isEmpty()) {
            return switch (call.method()) {
                case "GET" -> {
                    call.requireRead();
                    String type = call.param("type"); // Cloudflare's filter; every service here is http
                    yield Envelope.list(call, type == null || type.equals("http") ? call.data().services(call.account())
                            : List.of(), Render::service);
                }
                case "POST" -> {
                    call.require(Role.ADMIN);
                    ServiceSpec spec = ServiceBody.parse(call.json());
                    yield Envelope.ok(Render.service(directory.createService(call.account(), spec)));
                }
                default -> throw call.notAllowed("GET", "POST");
            };
        }
        if (rest.size() != 1) {
            throw ApiException.notFound("no route for " + call.method() + " …/services/" + String.join("/", rest));
        }
        String rawId = rest.get(0); // parsed after the role check: 403 without the role, whatever the id
        return switch (call.method()) {
            case "GET" -> {
                call.requireRead();
                yield Envelope.ok(Render.service(find(call, pathId(rawId, "service"))));
            }
            case "PUT" -> {
                call.require(Role.ADMIN);
                UUID id = find(call, pathId(rawId, "service")).id();
                ServiceSpec spec = ServiceBody.parse(call.json());
                yield Envelope.ok(Render.service(directory.updateService(call.account(), id, spec)));
            }
            case "DELETE" -> {
                call.require(Role.ADMIN);
                UUID id = pathId(rawId, "service");
                directory.deleteService(call.account(), id);
                yield Envelope.ok(Json.object().put("service_id", id.toString()));
            }
            default -> throw call.notAllowed("GET", "PUT", "DELETE");
        };
    }

    private static ServiceRecord find(Call call, UUID id) {
        return call.data().service(call.account(), id)
                .orElseThrow(() -> ApiException.notFound("service " + id + " not found"));
    }

    /** A path id: a UUID, else 404 (an id that cannot exist). */
    static UUID pathId(String s, String what) {
        try {
            if (s.length() == 36) {
                return UUID.fromString(s);
            }
        } catch (IllegalArgumentException ignored) {
            // falls through to 404
        }
        throw ApiException.notFound(what + " " + s + " not found");
    }
}
