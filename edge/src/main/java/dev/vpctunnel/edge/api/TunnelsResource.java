package dev.vpctunnel.edge.api;

import dev.vpctunnel.core.link.TunnelToken;
import dev.vpctunnel.edge.directory.Directory;
import dev.vpctunnel.edge.directory.Role;
import dev.vpctunnel.edge.directory.TunnelRecord;
import dev.vpctunnel.edge.routing.LinkInfo;
import dev.vpctunnel.edge.routing.LinkRegistry;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

/** /cfd_tunnel[/{id}[/token|/connections]]: Admin writes and reads tokens; Read reads. */
final class TunnelsResource {
    /** The store keeps the secret as base64 in VARCHAR(128): 96 bytes are 128 characters. */
    private static final int MAX_SECRET = 96;

    private final Directory directory;
    private final LinkRegistry links;

    TunnelsResource(Directory directory, LinkRegistry links) {
        this.directory = directory;
        this.links = links;
    }

    ApiResponse handle(Call call, List<String> rest) {
        if (rest.isEmpty()) {
            return switch (call.method()) {
                case "GET" -> {
                    call.require(Role.READ, Role.ADMIN);
                    yield Envelope.list(call, listed(call), this::tunnel);
                }
                case "POST" -> {
                    call.require(Role.ADMIN);
                    yield create(call);
                }
                default -> throw call.notAllowed("GET", "POST");
            };
        }
        // the id is parsed after the role check: 403 without the role, whatever the id
        java.util.function.Supplier<UUID> id = () -> ServicesResource.pathId(rest.get(0), "tunnel");
        if (rest.size() == 2 && rest.get(1).equals("token")) {
            if (!call.is("GET")) {
                throw call.notAllowed("GET");
            }
            call.require(Role.ADMIN);
            TunnelRecord t = find(call, id.get());
            return Envelope.ok(Json.MAPPER.getNodeFactory().stringNode(token(t)));
        }
        if (rest.size() == 2 && rest.get(1).equals("connections")) {
            if (!call.is("GET")) {
                throw call.notAllowed("GET");
            }
            call.require(Role.READ, Role.ADMIN);
            return Envelope.ok(connections(links.links(find(call, id.get()).id())));
        }
        if (rest.size() != 1) {
            throw ApiException.notFound("no route for " + call.method() + " …/cfd_tunnel/" + String.join("/", rest));
        }
        return switch (call.method()) {
            case "GET" -> {
                call.require(Role.READ, Role.ADMIN);
                yield Envelope.ok(tunnel(find(call, id.get())));
            }
            case "DELETE" -> {
                call.require(Role.ADMIN);
                TunnelRecord t = find(call, id.get());
                directory.deleteTunnel(call.account(), t.id());
                yield Envelope.ok(Render.deleted(tunnel(t)));
            }
            default -> throw call.notAllowed("GET", "DELETE");
        };
    }

    private ApiResponse create(Call call) {
        JsonNode n = call.json();
        Json.onlyFields(n, "", Set.of("name", "tunnel_secret", "config_src"));
        String name = Json.reqString(n, "", "name");
        String secretB64 = Json.optString(n, "", "tunnel_secret");
        byte[] secret = null;
        if (secretB64 != null) {
            try {
                secret = Base64.getDecoder().decode(secretB64);
            } catch (IllegalArgumentException e) {
                throw ApiException.invalid("tunnel_secret: must be base64");
            }
            if (secret.length < 32) {
                throw ApiException.invalid("tunnel_secret: at least 32 bytes (base64-encoded) are required");
            }
            if (secret.length > MAX_SECRET) {
                throw ApiException.invalid("tunnel_secret: at most " + MAX_SECRET + " bytes (base64-encoded) are accepted");
            }
        }
        String src = Json.optString(n, "", "config_src");
        if (src != null && !src.equals("local")) {
            throw ApiException.invalid("config_src: only \"local\" is supported");
        }
        TunnelRecord t = directory.createTunnel(call.account(), name, secret);
        ObjectNode o = tunnel(t);
        o.put("token", token(t));
        return Envelope.ok(o);
    }

    private static TunnelRecord find(Call call, UUID id) {
        return call.data().tunnel(call.account(), id)
                .orElseThrow(() -> ApiException.notFound("tunnel " + id + " not found"));
    }

    static String token(TunnelRecord t) {
        return new TunnelToken(t.accountId(), t.id(), t.secret()).encode();
    }

    /**
     * The account's tunnels, filtered as Cloudflare's list filters them: name (exact), uuid, and is_deleted (deleted
     * tunnels are gone here, so is_deleted=true lists none); page and per_page pick a page ({@link Envelope#list}).
     */
    private static List<TunnelRecord> listed(Call call) {
        String name = call.param("name");
        String uuid = call.param("uuid");
        String deleted = call.param("is_deleted");
        if (deleted != null && !deleted.equals("true") && !deleted.equals("false")) {
            throw ApiException.invalid("is_deleted: must be true or false");
        }
        if ("true".equals(deleted)) {
            return List.of();
        }
        return call.data().tunnels(call.account()).stream()
                .filter(t -> name == null || t.name().equals(name))
                .filter(t -> uuid == null || t.id().toString().equalsIgnoreCase(uuid))
                .toList();
    }

    private ObjectNode tunnel(TunnelRecord t) {
        List<LinkInfo> live = links.links(t.id());
        ObjectNode o = Json.object();
        o.put("id", t.id().toString());
        o.put("account_tag", t.accountId());
        o.put("name", t.name());
        o.put("created_at", Render.time(t.createdAt()));
        o.putNull("deleted_at");
        o.put("status", live.isEmpty() ? "inactive" : live.stream().allMatch(LinkInfo::draining) ? "degraded" : "healthy");
        o.put("tun_type", "cfd_tunnel");
        o.put("remote_config", false);
        ArrayNode conns = o.putArray("connections");
        for (LinkInfo l : live) {
            conns.add(link(l).put("client_id", l.connectorId()).put("client_version", nz(l.version())));
        }
        return o;
    }

    /** One entry per connector with its links, as cloudflared's connections endpoint. */
    static ArrayNode connections(List<LinkInfo> live) {
        Map<String, List<LinkInfo>> byConnector = new LinkedHashMap<>();
        for (LinkInfo l : live) {
            byConnector.computeIfAbsent(l.connectorId(), k -> new java.util.ArrayList<>()).add(l);
        }
        ArrayNode out = Json.MAPPER.createArrayNode();
        for (Map.Entry<String, List<LinkInfo>> e : byConnector.entrySet()) {
            ObjectNode c = out.addObject();
            c.put("id", e.getKey());
            LinkInfo first = e.getValue().get(0);
            c.put("version", nz(first.version()));
            c.put("run_at", Render.time(e.getValue().stream().map(LinkInfo::openedAt)
                    .filter(java.util.Objects::nonNull).min(java.time.Instant::compareTo).orElse(java.time.Instant.EPOCH)));
            ArrayNode conns = c.putArray("conns");
            e.getValue().forEach(l -> conns.add(link(l)));
        }
        return out;
    }

    private static ObjectNode link(LinkInfo l) {
        ObjectNode o = Json.object();
        o.put("link_index", l.linkIndex());
        o.put("edge", nz(l.edgeId()));
        o.put("colo_name", nz(l.edgeId()));
        o.put("opened_at", l.openedAt() == null ? null : Render.time(l.openedAt()));
        o.put("origin_ip", nz(l.remoteAddress()));
        o.put("version", nz(l.version()));
        o.put("open_streams", l.openStreams());
        o.put("is_pending_reconnect", l.draining());
        return o;
    }

    private static String nz(String s) {
        return s == null ? "" : s;
    }
}
