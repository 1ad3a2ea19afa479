package dev.vpctunnel.edge.api;

import dev.vpctunnel.edge.testing.ApiFixture;
import dev.vpctunnel.edge.testing.ApiFixture.Resp;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.file.Path;
import java.time.Instant;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ServicesApiTest {
    ApiFixture f;
    String tunnel;
    String path;

    @BeforeAll
    void start(@TempDir Path tmp) throws Exception {
        f = new ApiFixture(tmp);
        tunnel = f.tunnel("t1");
        path = f.acct("/connectivity/directory/services");
    }

    @AfterAll
    void stop() throws Exception {
        f.close();
    }

    private String ipBody(String extraTop, String host) {
        return "{\"type\":\"http\",\"name\":\"svc\"" + extraTop + ",\"host\":" + host + "}";
    }

    private String net() {
        return "\"network\":{\"tunnel_id\":\"" + tunnel + "\"}";
    }

    @Test
    void takesTheSeedsSecondExampleAsWrittenWithItsComments() {
        Resp r = f.post(path, """
                {
                  "type": "http",
                  "name": "human-readable-name",


                  // Port configuration (optional - defaults to 80/443)
                  "http_port": 80,
                  "https_port": 443,


                  // Hostname Host (with DNS resolver)
                  "host": {
                    "hostname": "example.com",
                    "resolver_network": {
                      "tunnel_id": "%s",
                      "resolver_ips": ["10.0.0.1"] // Optional
                    }
                  }
                }
                """.formatted(tunnel));
        assertEquals(200, r.status(), r.toString());
        assertEquals("example.com", r.result().path("host").path("hostname").asString());
        assertEquals("10.0.0.1", r.result().path("host").path("resolver_network").path("resolver_ips").path(0).asString());
        Resp bad = f.post(path, "{\"type\": \"http\", /* unclosed comment");
        assertEquals(400, bad.status(), bad.toString());
        assertTrue(bad.body().path("errors").path(0).path("message").asString().startsWith("body: malformed JSON"), bad.toString());
    }

    @Test
    void createsTheSeedsFirstExampleAndReadsItBack() {
        Resp r = f.post(path, "{\"type\":\"http\",\"name\":\"human-readable-name\",\"http_port\":80,\"https_port\":443,"
                + "\"host\":{\"ipv4\":\"10.0.0.1\",\"ipv6\":\"fe80::\"," + net() + "}}");
        assertEquals(200, r.status(), r.toString());
        assertTrue(r.body().path("success").asBoolean());
        assertTrue(r.body().path("errors").isArray() && r.body().path("errors").isEmpty());
        assertTrue(r.body().path("messages").isArray());
        String id = r.result().path("service_id").asString();
        assertEquals("10.0.0.1", r.result().path("host").path("ipv4").asString());
        assertEquals("fe80::", r.result().path("host").path("ipv6").asString());
        assertEquals(tunnel, r.result().path("host").path("network").path("tunnel_id").asString());
        Instant.parse(r.result().path("created_at").asString());
        Instant.parse(r.result().path("updated_at").asString());
        Resp g = f.get(path + "/" + id);
        assertEquals(200, g.status());
        assertEquals("human-readable-name", g.result().path("name").asString());
        assertEquals(80, g.result().path("http_port").asInt());
        assertEquals(443, g.result().path("https_port").asInt());
        Resp list = f.get(path);
        assertTrue(list.result().isArray());
        assertTrue(list.result().toString().contains(id));
    }

    @Test
    void createsTheSeedsHostnameExample() {
        Resp r = f.post(path, "{\"type\":\"http\",\"name\":\"h\",\"http_port\":8080,\"host\":{\"hostname\":\"example.com\","
                + "\"resolver_network\":{\"tunnel_id\":\"" + tunnel + "\",\"resolver_ips\":[\"10.0.0.1\",\"fd00::53\"]}}}");
        assertEquals(200, r.status(), r.toString());
        assertEquals(8080, r.result().path("http_port").asInt());
        assertTrue(r.result().path("https_port").isMissingNode(), "only http configured: https refused");
        assertEquals("example.com", r.result().path("host").path("hostname").asString());
        assertEquals("fd00::53", r.result().path("host").path("resolver_network").path("resolver_ips").path(1).asString());
        var rec = f.directory.snapshot().service(java.util.UUID.fromString(r.result().path("service_id").asString())).orElseThrow();
        assertEquals(8080, rec.httpPort());
        assertEquals(null, rec.httpsPort());
        assertEquals(java.util.List.of("10.0.0.1", "fd00::53"), rec.resolverIps());
    }

    @Test
    void anAbsoluteHostnameWithItsTrailingDotIsAHostname() {
        // as hostname routes take "db.internal.": the connector resolves it as the absolute name (no search domains)
        String body = "{\"type\":\"http\",\"name\":\"fqdn\",\"host\":{\"hostname\":\"NAME\",\"resolver_network\":{\"tunnel_id\":\""
                + tunnel + "\"}}}";
        Resp r = f.post(path, body.replace("NAME", "db.internal."));
        assertEquals(200, r.status(), r.toString());
        assertEquals("db.internal.", r.result().path("host").path("hostname").asString());
        assertEquals(200, f.call("DELETE", path + "/" + r.result().path("service_id").asString(), null).status());
        for (String bad : new String[] {"db.internal..", ".", "10.0.0.1."}) {
            Resp b = f.post(path, body.replace("NAME", bad));
            assertEquals(400, b.status(), bad + ": " + b);
            assertTrue(b.error().startsWith("host.hostname: "), b.error());
        }
    }

    @Test
    void defaultsPortsTo80And443() {
        Resp r = f.post(path, ipBody("", "{\"ipv4\":\"10.0.0.2\"," + net() + "}"));
        assertEquals(200, r.status(), r.toString());
        assertEquals(80, r.result().path("http_port").asInt());
        assertEquals(443, r.result().path("https_port").asInt());
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            "missing type|{\"name\":\"a\",\"host\":{\"ipv4\":\"10.0.0.1\",NET}}|type",
            "tcp type|{\"type\":\"tcp\",\"name\":\"a\",\"host\":{\"ipv4\":\"10.0.0.1\",NET}}|not supported yet",
            "other type|{\"type\":\"udp\",\"name\":\"a\",\"host\":{\"ipv4\":\"10.0.0.1\",NET}}|type",
            "missing name|{\"type\":\"http\",\"host\":{\"ipv4\":\"10.0.0.1\",NET}}|name",
            "blank name|{\"type\":\"http\",\"name\":\" \",\"host\":{\"ipv4\":\"10.0.0.1\",NET}}|name",
            "name not string|{\"type\":\"http\",\"name\":5,\"host\":{\"ipv4\":\"10.0.0.1\",NET}}|name",
            "port 0|{\"type\":\"http\",\"name\":\"a\",\"http_port\":0,\"host\":{\"ipv4\":\"10.0.0.1\",NET}}|http_port",
            "port 65536|{\"type\":\"http\",\"name\":\"a\",\"https_port\":65536,\"host\":{\"ipv4\":\"10.0.0.1\",NET}}|https_port",
            "port string|{\"type\":\"http\",\"name\":\"a\",\"http_port\":\"80\",\"host\":{\"ipv4\":\"10.0.0.1\",NET}}|http_port",
            "port float|{\"type\":\"http\",\"name\":\"a\",\"http_port\":80.5,\"host\":{\"ipv4\":\"10.0.0.1\",NET}}|http_port",
            "missing host|{\"type\":\"http\",\"name\":\"a\"}|host",
            "empty host|{\"type\":\"http\",\"name\":\"a\",\"host\":{}}|host",
            "ip without network|{\"type\":\"http\",\"name\":\"a\",\"host\":{\"ipv4\":\"10.0.0.1\"}}|host.network",
            "bad ipv4|{\"type\":\"http\",\"name\":\"a\",\"host\":{\"ipv4\":\"10.0.0.256\",NET}}|host.ipv4",
            "hostname as ipv4|{\"type\":\"http\",\"name\":\"a\",\"host\":{\"ipv4\":\"db.internal\",NET}}|host.ipv4",
            "v6 in ipv4|{\"type\":\"http\",\"name\":\"a\",\"host\":{\"ipv4\":\"fd00::1\",NET}}|host.ipv4",
            "bad ipv6|{\"type\":\"http\",\"name\":\"a\",\"host\":{\"ipv6\":\"fd00:::1\",NET}}|host.ipv6",
            "v4 in ipv6|{\"type\":\"http\",\"name\":\"a\",\"host\":{\"ipv6\":\"10.0.0.1\",NET}}|host.ipv6",
            "bracketed ipv6|{\"type\":\"http\",\"name\":\"a\",\"host\":{\"ipv6\":\"[fd00::1]\",NET}}|host.ipv6",
            "bracketed resolver ip|{\"type\":\"http\",\"name\":\"a\",\"host\":{\"hostname\":\"x.internal\",\"resolver_network\":{\"tunnel_id\":\"TID\",\"resolver_ips\":[\"[fd00::53]\"]}}}|resolver_ips[0]",
            "hostname and ip|{\"type\":\"http\",\"name\":\"a\",\"host\":{\"ipv4\":\"10.0.0.1\",\"hostname\":\"x.internal\",RNET}}|host.ipv4",
            "hostname with network|{\"type\":\"http\",\"name\":\"a\",\"host\":{\"hostname\":\"x.internal\",NET}}|host.network",
            "hostname without resolver_network|{\"type\":\"http\",\"name\":\"a\",\"host\":{\"hostname\":\"x.internal\"}}|host.resolver_network",
            "ip with resolver_network|{\"type\":\"http\",\"name\":\"a\",\"host\":{\"ipv4\":\"10.0.0.1\",RNET}}|host.resolver_network",
            "bad hostname|{\"type\":\"http\",\"name\":\"a\",\"host\":{\"hostname\":\"bad host!\",RNET}}|host.hostname",
            "bad resolver ip|{\"type\":\"http\",\"name\":\"a\",\"host\":{\"hostname\":\"x.internal\",\"resolver_network\":{\"tunnel_id\":\"TID\",\"resolver_ips\":[\"dns.google\"]}}}|resolver_ips[0]",
            "resolver ip an object|{\"type\":\"http\",\"name\":\"a\",\"host\":{\"hostname\":\"x.internal\",\"resolver_network\":{\"tunnel_id\":\"TID\",\"resolver_ips\":[{}]}}}|resolver_ips[0]",
            "resolver ip an array|{\"type\":\"http\",\"name\":\"a\",\"host\":{\"hostname\":\"x.internal\",\"resolver_network\":{\"tunnel_id\":\"TID\",\"resolver_ips\":[\"10.0.0.1\",[1]]}}}|resolver_ips[1]",
            "resolver_ips not array|{\"type\":\"http\",\"name\":\"a\",\"host\":{\"hostname\":\"x.internal\",\"resolver_network\":{\"tunnel_id\":\"TID\",\"resolver_ips\":\"10.0.0.1\"}}}|resolver_ips",
            "tunnel not uuid|{\"type\":\"http\",\"name\":\"a\",\"host\":{\"ipv4\":\"10.0.0.1\",\"network\":{\"tunnel_id\":\"nope\"}}}|host.network.tunnel_id",
            "tunnel missing|{\"type\":\"http\",\"name\":\"a\",\"host\":{\"ipv4\":\"10.0.0.1\",\"network\":{}}}|host.network.tunnel_id",
            "unknown tunnel|{\"type\":\"http\",\"name\":\"a\",\"host\":{\"ipv4\":\"10.0.0.1\",\"network\":{\"tunnel_id\":\"00000000-0000-0000-0000-000000000001\"}}}|host.network.tunnel_id",
            "unknown resolver tunnel|{\"type\":\"http\",\"name\":\"a\",\"host\":{\"hostname\":\"x.internal\",\"resolver_network\":{\"tunnel_id\":\"00000000-0000-0000-0000-000000000001\"}}}|host.resolver_network.tunnel_id",
            "unknown top field|{\"type\":\"http\",\"name\":\"a\",\"colour\":1,\"host\":{\"ipv4\":\"10.0.0.1\",NET}}|colour",
            "unknown host field|{\"type\":\"http\",\"name\":\"a\",\"host\":{\"ipv4\":\"10.0.0.1\",\"port\":1,NET}}|host.port",
            "unknown network field|{\"type\":\"http\",\"name\":\"a\",\"host\":{\"ipv4\":\"10.0.0.1\",\"network\":{\"tunnel_id\":\"TID\",\"x\":1}}}|host.network.x",
            "duplicate key|{\"type\":\"http\",\"name\":\"a\",\"name\":\"b\",\"host\":{\"ipv4\":\"10.0.0.1\",NET}}|name",
            "host not object|{\"type\":\"http\",\"name\":\"a\",\"host\":\"10.0.0.1\"}|host",
            "array body|[1,2]|body",
            "malformed|{\"type\":\"http\",|body",
            "trailing garbage|{\"type\":\"http\"} x|body",
            "empty body||body",
    })
    void refusesInvalidBodiesNamingTheField(String label, String body, String field) {
        String b = body == null ? "" : body.replace("RNET", "\"resolver_network\":{\"tunnel_id\":\"" + tunnel + "\"}")
                .replace("NET", net()).replace("TID", tunnel);
        int before = f.directory.data().services(f.account).size();
        Resp r = f.post(path, b);
        assertEquals(400, r.status(), label + ": " + r);
        assertFalse(r.body().path("success").asBoolean(true));
        assertTrue(r.body().path("result").isNull());
        assertTrue(r.error().contains(field), label + ": message '" + r.error() + "' should name " + field);
        assertEquals(before, f.directory.data().services(f.account).size(), "nothing written");
        f.restartQuietly();
        assertEquals(before, f.directory.data().services(f.account).size(), "nothing written, even on disk");
    }

    @Test
    void updateReplacesAndKeepsCreatedAt() throws Exception {
        String id = f.service("upd", tunnel);
        Resp before = f.get(path + "/" + id);
        Thread.sleep(5);
        Resp r = f.call("PUT", path + "/" + id, ipBody(",\"https_port\":8443", "{\"ipv6\":\"fd00::7\"," + net() + "}"));
        assertEquals(200, r.status(), r.toString());
        assertEquals(8443, r.result().path("https_port").asInt());
        assertTrue(r.result().path("http_port").isMissingNode());
        assertEquals(before.result().path("created_at"), r.result().path("created_at"));
        assertTrue(Instant.parse(r.result().path("updated_at").asString())
                .isAfter(Instant.parse(before.result().path("updated_at").asString())));
        Resp bad = f.call("PUT", path + "/" + id, ipBody("", "{\"ipv4\":\"x\"," + net() + "}"));
        assertEquals(400, bad.status());
        assertEquals(8443, f.get(path + "/" + id).result().path("https_port").asInt(), "a refused update changes nothing");
        assertEquals(404, f.call("PUT", path + "/" + java.util.UUID.randomUUID(), ipBody("", "{\"ipv4\":\"10.0.0.1\"," + net() + "}")).status());
    }

    @Test
    void deleteAndNotFound() {
        String id = f.service("del", tunnel);
        assertEquals(200, f.call("DELETE", path + "/" + id, null).status());
        assertEquals(404, f.get(path + "/" + id).status());
        assertEquals(404, f.call("DELETE", path + "/" + id, null).status());
        assertEquals(404, f.get(path + "/not-a-uuid").status());
        Resp patch = f.call("PATCH", path + "/" + id, "{}");
        assertEquals(405, patch.status());
        assertEquals("GET, PUT, DELETE", patch.allow(), "RFC 9110: a 405 names what the path takes");
        Resp delete = f.call("DELETE", path, null);
        assertEquals(405, delete.status());
        assertEquals("GET, POST", delete.allow());
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            "ipv4 first octet|{\"type\":\"http\",\"name\":\"a\",\"host\":{\"ipv4\":\"010.0.0.1\",NET}}|host.ipv4",
            "ipv4 last octet|{\"type\":\"http\",\"name\":\"a\",\"host\":{\"ipv4\":\"10.0.0.01\",NET}}|host.ipv4",
            "ipv4 00|{\"type\":\"http\",\"name\":\"a\",\"host\":{\"ipv4\":\"10.00.0.1\",NET}}|host.ipv4",
            "ipv4 in ipv6|{\"type\":\"http\",\"name\":\"a\",\"host\":{\"ipv6\":\"::ffff:010.0.0.1\",NET}}|host.ipv6",
            "resolver ip|{\"type\":\"http\",\"name\":\"a\",\"host\":{\"hostname\":\"x.internal\",\"resolver_network\":{\"tunnel_id\":\"TID\",\"resolver_ips\":[\"10.0.0.053\"]}}}|host.resolver_network.resolver_ips[0]",
            "as hostname|{\"type\":\"http\",\"name\":\"a\",\"host\":{\"hostname\":\"010.0.0.1\",RNET}}|host.hostname",
    })
    void ipv4WithALeadingZeroIsRefusedAsAmbiguous(String label, String body, String field) {
        String b = body.replace("RNET", "\"resolver_network\":{\"tunnel_id\":\"" + tunnel + "\"}")
                .replace("NET", net()).replace("TID", tunnel);
        int before = f.directory.data().services(f.account).size();
        Resp r = f.post(path, b);
        assertEquals(400, r.status(), label + ": " + r);
        assertTrue(r.error().startsWith(field + ": "), label + ": " + r.error());
        assertTrue(r.error().contains("leading zero"), label + ": " + r.error());
        assertEquals(before, f.directory.data().services(f.account).size(), "nothing written");
    }

    @Test
    void ipv4WithALeadingZeroIsRefusedInRoutes() {
        Resp r = f.post(f.acct("/teamnet/routes"), "{\"network\":\"010.0.0.0/8\",\"tunnel_id\":\"" + tunnel + "\"}");
        assertEquals(400, r.status(), r.toString());
        assertTrue(r.error().startsWith("network: ") && r.error().contains("leading zero"), r.error());
        r = f.post(f.acct("/zerotrust/routes/hostname"), "{\"hostname\":\"010.0.0.1\",\"tunnel_id\":\"" + tunnel + "\"}");
        assertEquals(400, r.status(), r.toString());
        assertTrue(r.error().startsWith("hostname: "), r.error());
    }

    @Test
    void theUnspecifiedAddressIsNoServiceAddress() {
        // the connector never dials 0.0.0.0 or :: (the kernel would connect them to its own host): refused up front
        int before = f.directory.data().services(f.account).size();
        for (String[] a : new String[][] {{"ipv4", "0.0.0.0"}, {"ipv6", "::"}, {"ipv6", "::ffff:0.0.0.0"}}) {
            Resp r = f.post(path, ipBody("", "{\"" + a[0] + "\":\"" + a[1] + "\"," + net() + "}"));
            assertEquals(400, r.status(), r.toString());
            assertTrue(r.error().startsWith("host." + a[0] + ": ") && r.error().contains("unspecified address"), r.error());
        }
        assertEquals(before, f.directory.data().services(f.account).size(), "nothing written");
    }

    @Test
    void zeroOctetsWithoutLeadingZerosStillWork() {
        Resp r = f.post(path, ipBody("", "{\"ipv4\":\"10.0.0.0\",\"ipv6\":\"::ffff:10.0.0.1\"," + net() + "}"));
        assertEquals(200, r.status(), r.toString());
        assertEquals(200, f.call("DELETE", path + "/" + r.result().path("service_id").asString(), null).status());
        r = f.post(f.acct("/teamnet/routes"), "{\"network\":\"0.0.0.0/0\",\"tunnel_id\":\"" + tunnel + "\"}");
        assertEquals(200, r.status(), r.toString());
        assertEquals(200, f.call("DELETE", f.acct("/teamnet/routes/" + r.result().path("id").asString()), null).status());
    }
}
