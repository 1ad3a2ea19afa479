package dev.vpctunnel.edge.api;

import dev.vpctunnel.edge.directory.ApiTokenRecord;
import dev.vpctunnel.edge.directory.BindingRecord;
import dev.vpctunnel.edge.directory.HostnameRouteRecord;
import dev.vpctunnel.edge.directory.NetworkBinding;
import dev.vpctunnel.edge.directory.Role;
import dev.vpctunnel.edge.directory.RouteRecord;
import dev.vpctunnel.edge.directory.ServiceBinding;
import dev.vpctunnel.edge.directory.ServiceRecord;
import dev.vpctunnel.edge.directory.WorkerRecord;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

import java.time.Instant;

/** Domain records to the API's JSON (times in RFC 3339, UTC). */
final class Render {
    private Render() {
    }

    /** Microseconds, always six digits, as Cloudflare's API writes times (Instant.toString varied: none to nine). */
    private static final java.time.format.DateTimeFormatter TIME =
            java.time.format.DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss.SSSSSS'Z'").withZone(java.time.ZoneOffset.UTC);

    static String time(Instant t) {
        return TIME.format(t);
    }

    /** A deleted tunnel or route as its DELETE answers it: deleted_at set to now. */
    static ObjectNode deleted(ObjectNode rendered) {
        rendered.put("deleted_at", time(Instant.now()));
        return rendered;
    }

    static ObjectNode service(ServiceRecord s) {
        ObjectNode o = Json.object();
        o.put("service_id", s.id().toString());
        o.put("type", "http");
        o.put("name", s.name());
        if (s.httpPort() != null) {
            o.put("http_port", s.httpPort());
        }
        if (s.httpsPort() != null) {
            o.put("https_port", s.httpsPort());
        }
        ObjectNode host = o.putObject("host");
        if (s.hostname() != null) {
            host.put("hostname", s.hostname());
            ObjectNode rn = host.putObject("resolver_network");
            rn.put("tunnel_id", s.tunnelId().toString());
            if (!s.resolverIps().isEmpty()) {
                ArrayNode ips = rn.putArray("resolver_ips");
                s.resolverIps().forEach(ips::add);
            }
        } else {
            if (s.ipv4() != null) {
                host.put("ipv4", s.ipv4());
            }
            if (s.ipv6() != null) {
                host.put("ipv6", s.ipv6());
            }
            host.putObject("network").put("tunnel_id", s.tunnelId().toString());
        }
        o.put("created_at", time(s.createdAt()));
        o.put("updated_at", time(s.updatedAt()));
        return o;
    }

    static ObjectNode route(RouteRecord r) {
        ObjectNode o = Json.object();
        o.put("id", r.id().toString());
        o.put("network", r.network().toString());
        o.put("tunnel_id", r.tunnelId().toString());
        o.put("comment", r.comment() == null ? "" : r.comment());
        o.put("created_at", time(r.createdAt()));
        o.putNull("deleted_at");
        return o;
    }

    static ObjectNode hostnameRoute(HostnameRouteRecord r) {
        ObjectNode o = Json.object();
        o.put("id", r.id().toString());
        o.put("hostname", r.hostname());
        o.put("tunnel_id", r.tunnelId().toString());
        o.put("comment", r.comment() == null ? "" : r.comment());
        o.put("created_at", time(r.createdAt()));
        o.putNull("deleted_at");
        return o;
    }

    /** Adds "roles": the labels of t's roles, in Role order. */
    static void putRoles(ObjectNode o, ApiTokenRecord t) {
        ArrayNode roles = o.putArray("roles");
        for (Role r : Role.values()) {
            if (t.roles().contains(r)) {
                roles.add(r.label());
            }
        }
    }

    static ObjectNode token(ApiTokenRecord t) {
        ObjectNode o = Json.object();
        o.put("id", t.id());
        o.put("name", t.name());
        putRoles(o, t);
        o.put("status", "active");
        o.put("issued_on", time(t.createdAt()));
        return o;
    }

    static ObjectNode worker(WorkerRecord w) {
        ObjectNode o = Json.object();
        o.put("id", w.name());
        ArrayNode bs = o.putArray("bindings");
        for (BindingRecord b : w.bindings().values()) {
            ObjectNode bo = bs.addObject();
            if (b instanceof ServiceBinding sb) {
                bo.put("type", "vpc_service");
                bo.put("name", sb.name());
                bo.put("service_id", sb.serviceId().toString());
            } else if (b instanceof NetworkBinding nb) {
                bo.put("type", "vpc_network");
                bo.put("name", nb.name());
                if (nb.tunnelId() != null) {
                    bo.put("tunnel_id", nb.tunnelId().toString());
                } else {
                    bo.put("network_id", NetworkBinding.ACCOUNT_NETWORK);
                }
            }
        }
        return o;
    }
}
