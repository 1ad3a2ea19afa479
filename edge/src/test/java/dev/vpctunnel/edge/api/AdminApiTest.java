package dev.vpctunnel.edge.api;

import dev.vpctunnel.core.link.TunnelToken;
import dev.vpctunnel.edge.routing.LinkInfo;
import dev.vpctunnel.edge.testing.ApiFixture.Resp;
import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.time.Instant;
import java.util.List;
import java.util.UUID;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class AdminApiTest extends ApiTestBase {
    static final String READ = "Connectivity Directory Read";
    static final String BIND = "Connectivity Directory Bind";
    static final String ADMIN = "Connectivity Directory Admin";

    @Test
    void authenticationAndEnvelopeOnErrors() {
        String p = f.acct("/cfd_tunnel");
        Resp none = f.call("GET", p, null, null);
        assertEquals(401, none.status());
        assertFalse(none.body().path("success").asBoolean(true));
        assertTrue(none.body().path("result").isNull());
        assertTrue(none.body().path("messages").isArray());
        assertTrue(none.code() > 0);
        assertEquals(401, f.call("GET", p, "wrong", null).status());
        assertEquals(401, f.call("GET", p, f.token + "x", null).status());
        Resp other = f.call("GET", "/client/v4/accounts/0123456789abcdef0123456789abcdef/cfd_tunnel", null);
        assertEquals(403, other.status());
        assertEquals(404, f.get(f.acct("/nothing/here")).status());
        assertEquals(404, f.get("/client/v4/else").status());
        assertEquals(404, f.get("/").status());
        Resp verify = f.get("/client/v4/user/tokens/verify");
        assertEquals(200, verify.status());
        assertEquals(f.account, verify.result().path("account_id").asString());
        assertEquals(3, verify.result().path("roles").size());
    }

    @Test
    void rolesPerPath() {
        String tunnel = f.tunnel("t");
        String service = f.service("s", tunnel);
        String read = f.token(READ);
        String bind = f.token(BIND);
        String admin = f.token(ADMIN);
        String svc = f.acct("/connectivity/directory/services");
        String body = "{\"type\":\"http\",\"name\":\"x\",\"host\":{\"ipv4\":\"10.0.0.9\",\"network\":{\"tunnel_id\":\"" + tunnel + "\"}}}";
        for (String t : List.of(read, bind, admin)) {
            assertEquals(200, f.call("GET", svc, t, null).status());
            assertEquals(200, f.call("GET", svc + "/" + service, t, null).status());
        }
        assertEquals(403, f.call("POST", svc, read, body).status());
        assertEquals(403, f.call("POST", svc, bind, body).status());
        assertEquals(403, f.call("PUT", svc + "/" + service, bind, body).status());
        assertEquals(403, f.call("DELETE", svc + "/" + service, read, null).status());
        assertEquals(200, f.call("POST", svc, admin, body).status());

        String tun = f.acct("/cfd_tunnel");
        assertEquals(200, f.call("GET", tun, read, null).status());
        assertEquals(200, f.call("GET", tun + "/" + tunnel, read, null).status());
        assertEquals(200, f.call("GET", tun + "/" + tunnel + "/connections", read, null).status());
        assertEquals(403, f.call("GET", tun + "/" + tunnel + "/token", read, null).status());
        assertEquals(403, f.call("GET", tun, bind, null).status());
        assertEquals(403, f.call("POST", tun, read, "{\"name\":\"n\"}").status());
        assertEquals(200, f.call("GET", tun + "/" + tunnel + "/token", admin, null).status());

        String routes = f.acct("/teamnet/routes");
        String rbody = "{\"network\":\"10.9.0.0/16\",\"tunnel_id\":\"" + tunnel + "\"}";
        assertEquals(403, f.call("POST", routes, read, rbody).status());
        assertEquals(403, f.call("POST", routes, bind, rbody).status());
        assertEquals(200, f.call("GET", routes, read, null).status());
        assertEquals(200, f.call("POST", routes, admin, rbody).status());
        String hr = f.acct("/zerotrust/routes/hostname");
        String hbody = "{\"hostname\":\"db.internal\",\"tunnel_id\":\"" + tunnel + "\"}";
        assertEquals(403, f.call("POST", hr, read, hbody).status());
        assertEquals(200, f.call("POST", hr, admin, hbody).status());

        String tokens = f.acct("/tokens");
        assertEquals(403, f.call("GET", tokens, read, null).status());
        assertEquals(403, f.call("GET", tokens, bind, null).status());
        assertEquals(403, f.call("POST", tokens, bind, "{\"name\":\"x\",\"roles\":[\"" + ADMIN + "\"]}").status());
        assertEquals(200, f.call("GET", tokens, admin, null).status());

        String w = f.acct("/workers/scripts/w1");
        String sbind = "{\"bindings\":[{\"type\":\"vpc_service\",\"name\":\"API\",\"service_id\":\"" + service + "\"}]}";
        String nbind = "{\"bindings\":[{\"type\":\"vpc_network\",\"name\":\"NET\",\"network_id\":\"cf1:network\"}]}";
        assertEquals(403, f.call("PUT", w, read, sbind).status());
        assertEquals(200, f.call("PUT", w, bind, sbind).status());
        assertEquals(403, f.call("PUT", w, bind, nbind).status());
        assertEquals(200, f.call("PUT", w, admin, nbind).status());
        assertEquals(200, f.call("GET", w, read, null).status());
        Resp list = f.call("GET", f.acct("/workers/scripts"), read, null);
        assertEquals(200, list.status(), list.toString());
        assertEquals(1, list.result().size(), list.toString());
        assertEquals("w1", list.result().path(0).path("id").asString());
        assertEquals("NET", list.result().path(0).path("bindings").path(0).path("name").asString());
        assertEquals(1, list.body().path("result_info").path("total_count").asInt());
        assertEquals(405, f.call("POST", f.acct("/workers/scripts"), admin, sbind).status());
        assertEquals(403, f.call("PUT", w, bind, sbind).status(), "Bind cannot replace an Admin's network bindings");
        assertEquals(403, f.call("DELETE", w, bind, null).status(), "network bindings need Admin to delete");
        assertEquals("worker w1 has vpc_network binding NET: deleting it needs Connectivity Directory Admin",
                f.call("DELETE", w, read, null).error(), "Read is told what the deletion needs: Admin, not Bind");
        assertEquals(200, f.call("DELETE", w, admin, null).status());

        // 403 without the role comes before any lookup: a missing or malformed id is no 404 (which would tell
        // a token without the role what exists)
        String none = "00000000-0000-4000-8000-000000000000";
        assertEquals(403, f.call("DELETE", f.acct("/workers/scripts/nope"), read, null).status());
        assertEquals(403, f.call("DELETE", routes + "/nope", read, null).status());
        assertEquals(403, f.call("DELETE", routes + "/" + none, bind, null).status());
        assertEquals(403, f.call("DELETE", hr + "/nope", read, null).status());
        assertEquals(403, f.call("DELETE", tun + "/nope", read, null).status());
        assertEquals(403, f.call("GET", tun + "/nope", bind, null).status());
        assertEquals(403, f.call("GET", tun + "/nope/token", read, null).status());
        assertEquals(403, f.call("DELETE", svc + "/nope", read, null).status());
        assertEquals(403, f.call("PUT", svc + "/" + none, bind, body).status());
        assertEquals(404, f.call("DELETE", tun + "/nope", admin, null).status(), "with the role, the id is looked at");
        assertEquals(404, f.call("DELETE", f.acct("/workers/scripts/nope"), bind, null).status());
    }

    @Test
    void tunnelsLifecycleTokenConnectionsAndDeleteRules() {
        String tun = f.acct("/cfd_tunnel");
        Resp c = f.post(tun, "{\"name\":\"home\"}");
        assertEquals(200, c.status(), c.toString());
        String id = c.result().path("id").asString();
        UUID.fromString(id);
        TunnelToken tok = TunnelToken.decode(c.result().path("token").asString());
        assertEquals(f.account, tok.accountId());
        assertEquals(id, tok.tunnelId().toString());
        assertEquals(32, tok.secret().length);
        assertArrayEquals(f.directory.snapshot().tunnel(UUID.fromString(id)).orElseThrow().secret(), tok.secret());
        Resp token = f.get(tun + "/" + id + "/token");
        assertEquals(c.result().path("token").asString(), token.result().asString());
        assertEquals(409, f.post(tun, "{\"name\":\"home\"}").status(), "names are unique");
        assertEquals(400, f.post(tun, "{}").status());
        assertEquals(400, f.post(tun, "{\"name\":\"x\",\"bogus\":1}").status());
        assertEquals(1, f.get(tun).result().size());
        assertEquals("inactive", f.get(tun + "/" + id).result().path("status").asString());

        Instant now = Instant.parse("2026-01-01T00:00:00Z");
        UUID tid = UUID.fromString(id);
        f.links.put(tid, List.of(new LinkInfo(tid, "conn-a", 0, "edge1", now, "1.0", "192.0.2.1:5000", 0, false),
                new LinkInfo(tid, "conn-a", 1, "edge1", now, "1.0", "192.0.2.1:5001", 2, false),
                new LinkInfo(tid, "conn-b", 0, "edge1", now, "1.1", "192.0.2.2:5000", 0, false)));
        Resp conns = f.get(tun + "/" + id + "/connections");
        assertEquals(2, conns.result().size());
        assertEquals("conn-a", conns.result().path(0).path("id").asString());
        assertEquals(2, conns.result().path(0).path("conns").size());
        assertEquals(1, conns.result().path(0).path("conns").path(1).path("link_index").asInt());
        assertEquals("edge1", conns.result().path(0).path("conns").path(0).path("edge").asString());
        assertEquals("2026-01-01T00:00:00.000000Z", conns.result().path(0).path("conns").path(0).path("opened_at").asString());
        assertEquals("1.1", conns.result().path(1).path("version").asString());
        assertEquals("healthy", f.get(tun + "/" + id).result().path("status").asString());

        String svc = f.service("uses", id);
        f.post(f.acct("/teamnet/routes"), "{\"network\":\"10.1.0.0/16\",\"tunnel_id\":\"" + id + "\"}");
        f.post(f.acct("/zerotrust/routes/hostname"), "{\"hostname\":\"*.corp.internal\",\"tunnel_id\":\"" + id + "\"}");
        assertEquals(409, f.call("DELETE", tun + "/" + id, null).status());
        assertEquals(200, f.call("DELETE", f.acct("/connectivity/directory/services/" + svc), null).status());
        assertEquals(200, f.call("DELETE", tun + "/" + id, null).status());
        assertEquals(404, f.get(tun + "/" + id).status());
        assertEquals(0, f.get(f.acct("/teamnet/routes")).result().size(), "the tunnel's routes went with it");
        assertEquals(0, f.get(f.acct("/zerotrust/routes/hostname")).result().size());
        assertEquals(404, f.get(tun + "/" + UUID.randomUUID()).status());
        assertEquals(405, f.call("PUT", tun + "/" + id, "{}").status());
    }

    @Test
    void tunnelListFiltersAsCloudflaresDo() {
        String tun = f.acct("/cfd_tunnel");
        String office = f.tunnel("office");
        f.tunnel("office-2");
        f.tunnel("lab");
        Resp byName = f.get(tun + "?name=office");
        assertEquals(1, byName.result().size(), byName.toString());
        assertEquals(office, byName.result().path(0).path("id").asString());
        assertEquals(1, byName.body().path("result_info").path("count").asInt());
        assertEquals(0, f.get(tun + "?name=offic").result().size(), "an exact name, not a prefix");
        assertEquals(office, f.get(tun + "?uuid=" + office + "&is_deleted=false").result().path(0).path("id").asString());
        assertEquals(3, f.get(tun + "?is_deleted=false&per_page=50").result().size(), "unknown filters are ignored");
        assertEquals(0, f.get(tun + "?is_deleted=true").result().size(), "deleted tunnels are gone");
        Resp bad = f.get(tun + "?is_deleted=maybe");
        assertEquals(400, bad.status());
        assertTrue(bad.error().contains("is_deleted"), bad.error());
        assertEquals(1, f.get(tun + "?name=" + java.net.URLEncoder.encode("office-2", java.nio.charset.StandardCharsets.UTF_8))
                .result().size());
    }

    @Test
    void tunnelSecretLongerThanTheStoreHoldsIsRefused() {
        String tun = f.acct("/cfd_tunnel");
        String tooLong = java.util.Base64.getEncoder().encodeToString(new byte[97]);
        Resp r = f.post(tun, "{\"name\":\"big\",\"tunnel_secret\":\"" + tooLong + "\"}");
        assertEquals(400, r.status(), r.toString());
        assertTrue(r.error().contains("tunnel_secret") && r.error().contains("96"), r.toString());
        assertEquals(0, f.get(tun).result().size(), "nothing stored");
        byte[] max = new byte[96];
        java.util.Arrays.fill(max, (byte) 7);
        Resp ok = f.post(tun, "{\"name\":\"max\",\"tunnel_secret\":\""
                + java.util.Base64.getEncoder().encodeToString(max) + "\"}");
        assertEquals(200, ok.status(), ok.toString());
        assertArrayEquals(max, TunnelToken.decode(ok.result().path("token").asString()).secret());
        assertEquals(1, f.get(tun).result().size());
    }

    @Test
    void routesNormaliseAndLookup() throws Exception {
        String a = f.tunnel("a");
        String b = f.tunnel("b");
        String routes = f.acct("/teamnet/routes");
        Resp r1 = f.post(routes, "{\"network\":\"10.0.0.7/8\",\"tunnel_id\":\"" + a + "\",\"comment\":\"wide\"}");
        assertEquals(200, r1.status(), r1.toString());
        assertEquals("10.0.0.0/8", r1.result().path("network").asString());
        assertEquals(200, f.post(routes, "{\"network\":\"10.1.2.0/24\",\"tunnel_id\":\"" + b + "\"}").status());
        Resp v6 = f.post(routes, "{\"network\":\"FD00:0:0:0::1/64\",\"tunnel_id\":\"" + b + "\"}");
        assertEquals("fd00::/64", v6.result().path("network").asString());
        assertEquals(409, f.post(routes, "{\"network\":\"10.1.2.0/24\",\"tunnel_id\":\"" + a + "\"}").status());
        for (String bad : List.of("10.0.0.0/33", "10.0.0/8", "fd00::/129", "db.internal/8", "")) {
            Resp r = f.post(routes, "{\"network\":\"" + bad + "\",\"tunnel_id\":\"" + a + "\"}");
            assertEquals(400, r.status(), bad);
            assertTrue(r.error().startsWith("network"), r.error());
        }
        Resp unknown = f.post(routes, "{\"network\":\"192.168.0.0/16\",\"tunnel_id\":\"" + UUID.randomUUID() + "\"}");
        assertEquals(400, unknown.status());
        assertTrue(unknown.error().contains("tunnel_id"));
        var snap = f.directory.snapshot();
        assertEquals(UUID.fromString(b), snap.routeTunnel(f.account, InetAddress.getByName("10.1.2.3")).orElseThrow());
        assertEquals(UUID.fromString(a), snap.routeTunnel(f.account, InetAddress.getByName("10.9.9.9")).orElseThrow());
        assertEquals(UUID.fromString(b), snap.routeTunnel(f.account, InetAddress.getByName("fd00::99")).orElseThrow());
        assertTrue(snap.routeTunnel(f.account, InetAddress.getByName("192.168.1.1")).isEmpty());
        assertTrue(snap.routeTunnel("other", InetAddress.getByName("10.1.2.3")).isEmpty());
        String rid = r1.result().path("id").asString();
        assertEquals(200, f.call("DELETE", routes + "/" + rid, null).status());
        assertEquals(404, f.call("DELETE", routes + "/" + rid, null).status());
        assertTrue(f.directory.snapshot().routeTunnel(f.account, InetAddress.getByName("10.9.9.9")).isEmpty());

        String hr = f.acct("/zerotrust/routes/hostname");
        assertEquals(200, f.post(hr, "{\"hostname\":\"*.corp.internal\",\"tunnel_id\":\"" + a + "\"}").status());
        assertEquals(200, f.post(hr, "{\"hostname\":\"*.eu.corp.internal\",\"tunnel_id\":\"" + b + "\"}").status());
        Resp exact = f.post(hr, "{\"hostname\":\"DB.EU.corp.internal\",\"tunnel_id\":\"" + a + "\"}");
        assertEquals("db.eu.corp.internal", exact.result().path("hostname").asString());
        assertEquals(400, f.post(hr, "{\"hostname\":\"bad name\",\"tunnel_id\":\"" + a + "\"}").status());
        assertEquals(400, f.post(hr, "{\"hostname\":\"a.*.internal\",\"tunnel_id\":\"" + a + "\"}").status());
        assertEquals(409, f.post(hr, "{\"hostname\":\"*.corp.internal\",\"tunnel_id\":\"" + b + "\"}").status());
        snap = f.directory.snapshot();
        assertEquals(UUID.fromString(a), snap.hostnameRouteTunnel(f.account, "db.eu.corp.internal").orElseThrow());
        assertEquals(UUID.fromString(b), snap.hostnameRouteTunnel(f.account, "Web.EU.corp.internal").orElseThrow());
        assertEquals(UUID.fromString(a), snap.hostnameRouteTunnel(f.account, "x.corp.internal").orElseThrow());
        assertTrue(snap.hostnameRouteTunnel(f.account, "corp.internal").isEmpty());
        assertTrue(snap.hostnameRouteTunnel(f.account, "example.com").isEmpty());
    }

    @Test
    void tokensCreateListRevoke() {
        String tokens = f.acct("/tokens");
        Resp c = f.post(tokens, "{\"name\":\"ci\",\"roles\":[\"" + READ + "\"]}");
        assertEquals(200, c.status());
        String secret = c.result().path("value").asString();
        assertFalse(secret.isEmpty());
        assertEquals(200, f.call("GET", f.acct("/cfd_tunnel"), secret, null).status());
        Resp list = f.get(tokens);
        assertEquals(2, list.result().size());
        assertFalse(list.toString().contains(secret), "list never shows secrets");
        assertTrue(list.result().path(1).path("value").isMissingNode());
        assertEquals(400, f.post(tokens, "{\"name\":\"x\",\"roles\":[\"Superuser\"]}").status());
        assertEquals(400, f.post(tokens, "{\"name\":\"x\",\"roles\":[]}").status());
        assertEquals(400, f.post(tokens, "{\"name\":\"x\"}").status());
        assertEquals(200, f.call("DELETE", tokens + "/" + c.result().path("id").asString(), null).status());
        assertEquals(401, f.call("GET", f.acct("/cfd_tunnel"), secret, null).status());
        assertEquals(404, f.call("DELETE", tokens + "/nope", null).status());
    }

    @Test
    void theLastAdminTokenCannotBeRevoked() {
        String tokens = f.acct("/tokens");
        String first = f.get(tokens).result().path(0).path("id").asString(); // init's token, every role
        Resp refused = f.call("DELETE", tokens + "/" + first, null);
        assertEquals(409, refused.status(), refused.toString());
        assertTrue(refused.error().contains("last token with the " + ADMIN), refused.error());
        assertEquals(200, f.get(tokens).status(), "the token still works");
        Resp read = f.post(tokens, "{\"name\":\"ro\",\"roles\":[\"" + READ + "\"]}");
        assertEquals(409, f.call("DELETE", tokens + "/" + first, null).status(), "a Read token does not count");
        Resp admin = f.post(tokens, "{\"name\":\"ops\",\"roles\":[\"" + ADMIN + "\"]}");
        assertEquals(200, f.call("DELETE", tokens + "/" + first, null).status(), "another Admin token exists now");
        String second = admin.result().path("value").asString();
        Resp last = f.call("DELETE", tokens + "/" + admin.result().path("id").asString(), second, null);
        assertEquals(409, last.status(), "and that one is the last now: " + last);
        assertEquals(200, f.call("DELETE", tokens + "/" + read.result().path("id").asString(), second, null).status());
        Resp notAString = f.call("POST", tokens, second, "{\"name\":\"x\",\"roles\":[\"" + READ + "\",{}]}");
        assertEquals(400, notAString.status(), "a role that is not a string: " + notAString);
        assertTrue(notAString.error().startsWith("roles[1]: {} is not a role"), notAString.error());
    }

    @Test
    void workersBindingsValidationAndGatewayTokens() {
        String tunnel = f.tunnel("t");
        String service = f.service("s", tunnel);
        String w = f.acct("/workers/scripts/my-worker");
        String good = "{\"bindings\":[{\"type\":\"vpc_service\",\"name\":\"PRIVATE_API\",\"service_id\":\"" + service + "\"},"
                + "{\"type\":\"vpc_network\",\"name\":\"MY_VPC\",\"tunnel_id\":\"" + tunnel + "\"},"
                + "{\"type\":\"vpc_network\",\"name\":\"MESH\",\"network_id\":\"cf1:network\"}]}";
        Resp p1 = f.call("PUT", w, good);
        assertEquals(200, p1.status(), p1.toString());
        String gw1 = p1.result().path("gateway_token").asString();
        Resp p2 = f.call("PUT", w, good);
        String gw2 = p2.result().path("gateway_token").asString();
        assertFalse(gw1.equals(gw2));
        var snap = f.directory.snapshot();
        var worker = snap.workerByGatewayToken(gw1).orElseThrow();
        assertEquals("my-worker", worker.name());
        assertEquals(List.of("PRIVATE_API", "MY_VPC", "MESH"), List.copyOf(worker.bindings().keySet()));
        assertEquals(new dev.vpctunnel.edge.directory.NetworkBinding("MESH", null), worker.bindings().get("MESH"));
        assertTrue(snap.workerByGatewayToken(gw2).isPresent(), "earlier tokens stay valid");
        assertTrue(snap.workerByGatewayToken("nope").isEmpty());
        Resp g = f.get(w);
        assertEquals(3, g.result().path("bindings").size());
        assertEquals("cf1:network", g.result().path("bindings").path(2).path("network_id").asString());
        assertTrue(g.result().path("gateway_token").isMissingNode());

        String[][] bad = {
                {"{\"bindings\":[{\"type\":\"vpc_service\",\"name\":\"1bad\",\"service_id\":\"" + service + "\"}]}", "bindings[0].name"},
                {"{\"bindings\":[{\"type\":\"vpc_service\",\"name\":\"class\",\"service_id\":\"" + service + "\"}]}", "bindings[0].name"},
                {"{\"bindings\":[{\"type\":\"vpc_service\",\"name\":\"A\",\"service_id\":\"" + service + "\"},"
                        + "{\"type\":\"vpc_service\",\"name\":\"A\",\"service_id\":\"" + service + "\"}]}", "bindings[1].name"},
                {"{\"bindings\":[{\"type\":\"vpc_service\",\"name\":\"A\",\"service_id\":\"" + UUID.randomUUID() + "\"}]}", "bindings[0].service_id"},
                {"{\"bindings\":[{\"type\":\"vpc_network\",\"name\":\"A\",\"tunnel_id\":\"" + UUID.randomUUID() + "\"}]}", "bindings[0].tunnel_id"},
                {"{\"bindings\":[{\"type\":\"vpc_network\",\"name\":\"A\",\"network_id\":\"cf1:other\"}]}", "bindings[0].network_id"},
                {"{\"bindings\":[{\"type\":\"vpc_network\",\"name\":\"A\"}]}", "bindings[0]"},
                {"{\"bindings\":[{\"type\":\"vpc_network\",\"name\":\"A\",\"network_id\":\"cf1:network\",\"tunnel_id\":\"" + tunnel + "\"}]}", "bindings[0]"},
                {"{\"bindings\":[{\"type\":\"kv\",\"name\":\"A\"}]}", "bindings[0].type"},
                {"{\"bindings\":[{\"type\":\"vpc_service\",\"name\":\"A\",\"service_id\":\"" + service + "\",\"x\":1}]}", "bindings[0].x"},
                {"{\"bindings\":{}}", "bindings"},
                {"{\"script\":\"x\"}", "script"},
        };
        for (String[] b : bad) {
            Resp r = f.call("PUT", f.acct("/workers/scripts/other"), b[0]);
            assertEquals(400, r.status(), b[0] + " -> " + r);
            assertTrue(r.error().startsWith(b[1]), r.error() + " should start with " + b[1]);
        }
        assertEquals(404, f.get(f.acct("/workers/scripts/other")).status(), "refused PUTs store nothing");
        assertEquals(400, f.call("PUT", f.acct("/workers/scripts/bad%20name"), good).status());
        assertEquals(200, f.call("DELETE", w, null).status());
        assertTrue(f.directory.snapshot().workerByGatewayToken(gw1).isEmpty());
        assertTrue(f.directory.snapshot().workerByGatewayToken(gw2).isEmpty());
        assertEquals(404, f.get(w).status());
        assertEquals(405, f.call("POST", w, good).status());
    }

    @Test
    void restartKeepsEverything() throws Exception {
        String tunnel = f.tunnel("persist");
        String service = f.service("s", tunnel);
        f.post(f.acct("/teamnet/routes"), "{\"network\":\"10.2.0.0/16\",\"tunnel_id\":\"" + tunnel + "\"}");
        f.post(f.acct("/zerotrust/routes/hostname"), "{\"hostname\":\"db.internal\",\"tunnel_id\":\"" + tunnel + "\"}");
        String reader = f.token(READ);
        String gw = f.call("PUT", f.acct("/workers/scripts/w"), "{\"bindings\":[{\"type\":\"vpc_service\",\"name\":\"A\","
                + "\"service_id\":\"" + service + "\"}]}").result().path("gateway_token").asString();
        String tokenBefore = f.get(f.acct("/cfd_tunnel/" + tunnel + "/token")).result().asString();
        f.restart();
        assertEquals(tokenBefore, f.get(f.acct("/cfd_tunnel/" + tunnel + "/token")).result().asString());
        assertEquals("s", f.get(f.acct("/connectivity/directory/services/" + service)).result().path("name").asString());
        assertEquals(200, f.call("GET", f.acct("/cfd_tunnel"), reader, null).status());
        var snap = f.directory.snapshot();
        assertEquals("w", snap.workerByGatewayToken(gw).orElseThrow().name());
        assertEquals(tunnel, snap.routeTunnel(f.account, InetAddress.getByName("10.2.3.4")).orElseThrow().toString());
        assertEquals(tunnel, snap.hostnameRouteTunnel(f.account, "db.internal").orElseThrow().toString());
        assertEquals(1, f.get(f.acct("/teamnet/routes")).result().size());
    }
}
