package dev.vpctunnel.edge.api;

import dev.vpctunnel.edge.directory.BindingRecord;
import dev.vpctunnel.edge.directory.Directory;
import dev.vpctunnel.edge.directory.Names;
import dev.vpctunnel.edge.directory.NetworkBinding;
import dev.vpctunnel.edge.directory.Role;
import dev.vpctunnel.edge.directory.ServiceBinding;
import dev.vpctunnel.edge.directory.WorkerRecord;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;

/**
 * /workers/scripts (GET: the account's workers, any role) and /workers/scripts/{name}: PUT needs Bind (or Admin) for
 * vpc_service bindings and Admin for vpc_network ones; GET any role; DELETE the role its bindings need. The PUT result
 * carries a fresh gateway_token.
 */
final class WorkersResource {
    private final Directory directory;

    WorkersResource(Directory directory) {
        this.directory = directory;
    }

    ApiResponse handle(Call call, List<String> rest) {
        if (rest.isEmpty()) { // Cloudflare's list of an account's scripts: here each worker with its bindings
            if (!call.method().equals("GET")) {
                throw call.notAllowed("GET");
            }
            call.requireRead();
            return Envelope.list(call, call.data().workers(call.account()), Render::worker);
        }
        if (rest.size() != 1) {
            throw ApiException.notFound("no route for " + call.method() + " …/workers/scripts/" + String.join("/", rest));
        }
        String name = rest.get(0);
        return switch (call.method()) {
            case "GET" -> {
                call.requireRead();
                yield Envelope.ok(Render.worker(find(call, name)));
            }
            case "PUT" -> put(call, name);
            case "DELETE" -> {
                var w = call.data().worker(call.account(), name);
                if (w.isPresent()) {
                    requireAdminForExisting(call, w.get(), "deleting it"); // says it needs Admin, not Bind
                }
                call.require(Role.BIND, Role.ADMIN); // before the 404: 403 without the role, whatever the name
                find(call, name);
                directory.deleteWorker(call.account(), name);
                yield Envelope.ok(Json.object().put("id", name));
            }
            default -> throw call.notAllowed("GET", "PUT", "DELETE");
        };
    }

    private static WorkerRecord find(Call call, String name) {
        return call.data().worker(call.account(), name)
                .orElseThrow(() -> ApiException.notFound("worker " + name + " not found"));
    }

    /** 403 naming the first vpc_network binding of the body, unless the token is Admin (Bind binds services only). */
    private static void requireAdminForNetworks(Call call, List<BindingRecord> bindings) {
        for (int i = 0; i < bindings.size(); i++) {
            if (bindings.get(i) instanceof NetworkBinding && !call.token().has(Role.ADMIN)) {
                throw ApiException.forbidden("bindings[" + i + "]: a vpc_network binding needs " + Role.ADMIN.label()
                        + " (" + Role.BIND.label() + " binds vpc_service bindings only)");
            }
        }
    }

    /** 403 naming the worker's existing vpc_network binding, unless the token is Admin. */
    private static void requireAdminForExisting(Call call, WorkerRecord w, String action) {
        for (BindingRecord b : w.bindings().values()) {
            if (b instanceof NetworkBinding n && !call.token().has(Role.ADMIN)) {
                throw ApiException.forbidden("worker " + w.name() + " has vpc_network binding " + n.name() + ": "
                        + action + " needs " + Role.ADMIN.label());
            }
        }
    }

    private ApiResponse put(Call call, String name) {
        call.require(Role.BIND, Role.ADMIN);
        if (!Names.isWorkerName(name)) {
            throw ApiException.invalid("name: '" + name + "' is not a valid worker name (letters, digits, '-', '_'; 1-63)");
        }
        List<BindingRecord> bindings = parse(call.json());
        requireAdminForNetworks(call, bindings);
        // replacing a worker's vpc_network bindings needs the role they needed
        call.data().worker(call.account(), name).ifPresent(w -> requireAdminForExisting(call, w, "replacing it"));
        String token = directory.putWorker(call.account(), name, bindings);
        WorkerRecord w = directory.data().worker(call.account(), name)
                .orElseGet(() -> new WorkerRecord(call.account(), name, java.util.Map.of()));
        ObjectNode o = Render.worker(w);
        o.put("gateway_token", token);
        return Envelope.ok(o);
    }

    static List<BindingRecord> parse(JsonNode n) {
        Json.onlyFields(n, "", Set.of("bindings"));
        JsonNode arr = n.get("bindings");
        List<BindingRecord> out = new ArrayList<>();
        if (arr == null || arr.isNull()) {
            return out;
        }
        if (!arr.isArray()) {
            throw ApiException.invalid("bindings: must be an array");
        }
        Set<String> names = new HashSet<>();
        for (int i = 0; i < arr.size(); i++) {
            String path = "bindings[" + i + "]";
            JsonNode b = arr.get(i);
            if (!b.isObject()) {
                throw ApiException.invalid(path + ": must be an object");
            }
            String type = Json.optString(b, path, "type");
            String bname = Json.optString(b, path, "name");
            if (bname == null || !Names.isJsIdentifier(bname)) {
                throw ApiException.invalid(path + ".name: " + (bname == null ? "is required"
                        : "'" + bname + "' is not a valid JavaScript identifier"));
            }
            if (!names.add(bname)) {
                throw ApiException.invalid(path + ".name: '" + bname + "' is used by another binding of this worker");
            }
            if ("vpc_service".equals(type)) {
                Json.onlyFields(b, path, Set.of("type", "name", "service_id"));
                out.add(new ServiceBinding(bname, Json.reqUuid(b, path, "service_id")));
            } else if ("vpc_network".equals(type)) {
                Json.onlyFields(b, path, Set.of("type", "name", "tunnel_id", "network_id"));
                out.add(network(b, path, bname));
            } else {
                throw ApiException.invalid(path + ".type: must be \"vpc_service\" or \"vpc_network\""
                        + (type == null ? "" : " (got \"" + type + "\")"));
            }
        }
        return out;
    }

    private static NetworkBinding network(JsonNode b, String path, String name) {
        boolean hasTunnel = Json.present(b, "tunnel_id");
        boolean hasNetwork = Json.present(b, "network_id");
        if (hasTunnel == hasNetwork) {
            throw ApiException.invalid(path + ": exactly one of tunnel_id or network_id is required");
        }
        if (hasTunnel) {
            UUID t = Json.reqUuid(b, path, "tunnel_id");
            return new NetworkBinding(name, t);
        }
        String net = Json.reqString(b, path, "network_id");
        if (!NetworkBinding.ACCOUNT_NETWORK.equals(net)) {
            throw ApiException.invalid(path + ".network_id: only \"" + NetworkBinding.ACCOUNT_NETWORK
                    + "\" is supported (got \"" + net + "\")");
        }
        return new NetworkBinding(name, null);
    }
}
