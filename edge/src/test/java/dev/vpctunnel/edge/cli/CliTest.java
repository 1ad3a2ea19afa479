package dev.vpctunnel.edge.cli;

import dev.vpctunnel.core.link.TunnelToken;
import dev.vpctunnel.edge.testing.ApiFixture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;
import tools.jackson.databind.JsonNode;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The admin subcommands and edge deploy against a real admin API. */
class CliTest {
    @TempDir
    Path tmp;
    ApiFixture f;

    record Run(int code, String out, String err) {
    }

    @BeforeEach
    void start() throws Exception {
        f = new ApiFixture(tmp.resolve("data"));
    }

    @AfterEach
    void stop() throws Exception {
        f.close();
    }

    static Run run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = new CommandLine(new EdgeMain()).setOut(new PrintWriter(out)).setErr(new PrintWriter(err)).execute(args);
        return new Run(code, out.toString(), err.toString());
    }

    Run admin(String... args) {
        List<String> a = new ArrayList<>(List.of(args));
        a.addAll(List.of("--api", f.base(), "--token", f.token));
        return run(a.toArray(String[]::new));
    }

    static String field(String out, String label) {
        Matcher m = Pattern.compile("(?m)^" + Pattern.quote(label) + "\\s*(\\S+)").matcher(out);
        assertTrue(m.find(), label + " in " + out);
        return m.group(1);
    }

    @Test
    void tunnelServiceRouteTokenAndWorkerCommands() throws Exception {
        Run c = admin("tunnel", "create", "office");
        assertEquals(0, c.code(), c.err());
        String id = field(c.out(), "id:");
        String token = field(c.out(), "token:");
        assertEquals(UUID.fromString(id), TunnelToken.decode(token).tunnelId());
        Run t = admin("tunnel", "token", id);
        assertEquals(token, t.out().trim());
        String[] listed = admin("tunnel", "list").out().split("\n");
        assertTrue(listed[0].matches("ID +NAME +CREATED +STATUS +CONNECTIONS"), listed[0]);
        assertTrue(listed[1].matches(id + "  office  \\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ  inactive *"), listed[1]);
        assertTrue(admin("tunnel", "get", id).out().contains("\"office\""));
        assertEquals(0, admin("tunnel", "connections", id).code());

        Run s = admin("service", "create", "--json", "{\"type\":\"http\",\"name\":\"api\",\"host\":{\"ipv4\":\"10.0.0.5\","
                + "\"network\":{\"tunnel_id\":\"" + id + "\"}}}");
        assertEquals(0, s.code(), s.err());
        String sid = ApiFixture.JSON.readTree(s.out()).path("service_id").asString();
        Path file = tmp.resolve("svc.json");
        Files.writeString(file, "{\"type\":\"tcp\",\"name\":\"x\"}");
        Run bad = admin("service", "create", "--file", file.toString());
        assertEquals(1, bad.code());
        assertTrue(bad.err().contains("tcp") && bad.err().contains("not supported yet"), bad.err());
        assertTrue(admin("service", "list").out().contains(sid));
        assertTrue(admin("service", "get", sid).out().contains("10.0.0.5"));

        Run r = admin("route", "add", "10.0.0.0/24", id);
        assertEquals(0, r.code(), r.err());
        assertTrue(admin("route", "list").out().contains("10.0.0.0/24"));
        Run h = admin("route", "hostname", "add", "*.corp.internal", id);
        assertEquals(0, h.code(), h.err());
        assertTrue(admin("route", "hostname", "list").out().contains("*.corp.internal"));

        Run tk = admin("token", "create", "deployer", "--role", "bind");
        assertEquals(0, tk.code(), tk.err());
        String bindToken = field(tk.out(), "token:");
        assertTrue(admin("token", "list").out().contains("Connectivity Directory Bind"));
        assertFalse(admin("token", "list").out().contains(bindToken));
        assertEquals(2, admin("token", "create", "x", "--role", "root").code());

        Run dep = deploy("wrangler.jsonc", """
                {
                  "name": "my-worker", // the worker
                  "main": "src/index.js",
                  "vpc_services": [ { "binding": "PRIVATE_API", "service_id": "SID", "remote": true, }, ],
                }
                """.replace("SID", sid), bindToken);
        assertEquals(0, dep.code(), dep.err());
        String gw = field(dep.out(), "gateway token (shown once):");
        assertEquals("my-worker", f.directory.snapshot().workerByGatewayToken(gw).orElseThrow().name());
        assertTrue(admin("worker", "get", "my-worker").out().contains("PRIVATE_API"));
        String workers = admin("worker", "list").out();
        assertTrue(workers.contains("\"my-worker\"") && workers.contains("PRIVATE_API"), workers);
        assertEquals(0, admin("worker", "delete", "my-worker").code());
        assertFalse(admin("worker", "list").out().contains("my-worker"));
        assertEquals(1, admin("worker", "get", "my-worker").code());

        Run busy = admin("tunnel", "delete", id);
        assertEquals(1, busy.code());
        assertTrue(busy.err().contains("409"), busy.err());
        assertEquals(0, admin("service", "delete", sid).code());
        assertEquals(0, admin("tunnel", "delete", id).code());
    }

    /** As cloudflared: a tunnel by its name wherever one is asked for; ids with odd characters stay one path segment. */
    @Test
    void tunnelsByNameAndIdsThatAreNotIds() throws Exception {
        String id = field(admin("tunnel", "create", "office").out(), "id:");
        admin("tunnel", "create", "office-2");
        assertEquals(admin("tunnel", "token", id).out(), admin("tunnel", "token", "office").out());
        // a name Java's lenient UUID parser would read as the id 0000cafe-babe-dead-beef-00000000f00d
        String uuidish = field(admin("tunnel", "create", "cafe-babe-dead-beef-f00d").out(), "id:");
        assertTrue(admin("tunnel", "get", "cafe-babe-dead-beef-f00d").out().contains(uuidish));
        assertTrue(admin("tunnel", "get", "office").out().contains(id));
        Run r = admin("route", "add", "10.9.0.0/16", "office");
        assertEquals(0, r.code(), r.err());
        assertEquals(id, f.get(f.acct("/teamnet/routes")).result().path(0).path("tunnel_id").asString());
        assertEquals(0, admin("route", "hostname", "add", "db.internal", "office").code());
        Run none = admin("tunnel", "token", "offic");
        assertEquals(1, none.code());
        assertEquals("edge: no tunnel has the id or name 'offic' (see 'edge tunnel list')", none.err().strip());
        Run odd = admin("service", "get", "a b?c");
        assertEquals(1, odd.code());
        assertTrue(odd.err().contains("404") && !odd.err().contains("bad API URL"), odd.err());
        Run deleted = admin("tunnel", "delete", "office-2");
        assertEquals(0, deleted.code(), deleted.err());
        assertTrue(deleted.out().contains("(office-2)"), deleted.out());
    }

    @Test
    void deployWithoutConfigLooksInTheCurrentFolderAsWranglerDoes() throws Exception {
        // the tests run in the module's folder, which has no wrangler file: the message says where it looked
        Run none = run("deploy", "--api", f.base(), "--token", f.token);
        assertEquals(2, none.code(), none.err());
        assertTrue(none.err().contains("no --config given, and no wrangler.json, wrangler.jsonc or wrangler.toml in "),
                none.err());
        String sid = f.service("api", f.tunnel("t"));
        Path p = tmp.resolve("w.jsonc");
        Files.writeString(p, "{\"name\":\"short\",\"vpc_services\":[{\"binding\":\"B\",\"service_id\":\"" + sid + "\"}]}");
        Run shortFlag = run("deploy", "-c", p.toString(), "--api", f.base(), "--token", f.token);
        assertEquals(0, shortFlag.code(), shortFlag.err());
    }

    Run deploy(String file, String text, String token) throws Exception {
        Path p = tmp.resolve(file);
        Files.writeString(p, text);
        return run("deploy", "--config", p.toString(), "--api", f.base(), "--token", token);
    }

    @Test
    void deployTheSeedsExamplesWithRealIds() throws Exception {
        String tunnel = f.tunnel("t");
        String sid = f.service("api", tunnel);
        Run j = deploy("wrangler.jsonc", """
                {
                  "$schema": "./node_modules/wrangler/config-schema.json",
                  "name": "my-worker",
                  "main": "src/index.js",
                  "vpc_services": [
                    {
                      "binding": "PRIVATE_API",
                      "service_id": "SID",
                      "remote": true // When true, utilizes [remote bindings](/workers/development-testing/#remote-bindings) to allow access to the VPC Service during local development.
                    }
                  ]
                }
                """.replace("SID", sid), f.token);
        assertEquals(0, j.code(), j.err());
        Run t = deploy("wrangler.toml", """
                "$schema" = "./node_modules/wrangler/config-schema.json"
                name = "my-worker"
                main = "src/index.js"


                [[vpc_services]]
                binding = "PRIVATE_API"
                service_id = "SID"
                remote = true

                [[vpc_networks]]
                binding = "MY_VPC"
                tunnel_id = "TID"
                remote = true

                [[vpc_networks]]
                binding = "MESH"
                network_id = "cf1:network"
                remote = true
                """.replace("SID", sid).replace("TID", tunnel), f.token);
        assertEquals(0, t.code(), t.err());
        String gwJsonc = field(j.out(), "gateway token (shown once):");
        String gwToml = field(t.out(), "gateway token (shown once):");
        var w = f.directory.snapshot().workerByGatewayToken(gwJsonc).orElseThrow();
        assertEquals(3, w.bindings().size(), "the second deploy replaced the bindings; the first token stays valid");
        assertTrue(f.directory.snapshot().workerByGatewayToken(gwToml).isPresent());

        Run missing = deploy("wrangler.jsonc", "{\"name\":\"w\",\"vpc_services\":[{\"binding\":\"PRIVATE_API\",\"service_id\":\""
                + UUID.randomUUID() + "\"}]}", f.token);
        assertEquals(1, missing.code());
        assertTrue(missing.err().contains("wrangler.jsonc") && missing.err().contains("binding PRIVATE_API")
                && missing.err().contains("does not exist"), missing.err());
        Run invalid = deploy("wrangler.toml", "name = \"w\"\n[[vpc_networks]]\nbinding = \"NET\"\nnetwork_id = \"x\"\n", f.token);
        assertEquals(2, invalid.code());
        assertTrue(invalid.err().contains("wrangler.toml") && invalid.err().contains("NET"), invalid.err());
        Run noName = deploy("w3.jsonc", "{\"vpc_services\":[]}", f.token);
        assertEquals(2, noName.code());
        Run json = run("deploy", "--config", tmp.resolve("w3.jsonc").toString(), "--name", "named", "--json",
                "--api", f.base(), "--token", f.token);
        assertEquals(0, json.code(), json.err());
        JsonNode res = ApiFixture.JSON.readTree(json.out());
        assertFalse(res.path("gateway_token").asString().isEmpty());
    }

    @Test
    void redeployWithAKeyGivenTwiceIsRefusedAndKeepsTheBindings() throws Exception {
        String sid = f.service("api", f.tunnel("t"));
        String svc = "{\"binding\":\"PRIVATE_API\",\"service_id\":\"" + sid + "\"}";
        Run first = deploy("wrangler.jsonc", "{\"name\":\"w\",\"vpc_services\":[" + svc + "]}", f.token);
        assertEquals(0, first.code(), first.err());
        String gw = field(first.out(), "gateway token (shown once):");
        Run twice = deploy("wrangler.jsonc", "{\"name\":\"w\",\"vpc_services\":[" + svc + "],\"vpc_services\":[]}", f.token);
        assertEquals(2, twice.code(), twice.out());
        assertEquals("edge deploy: " + tmp.resolve("wrangler.jsonc") + ": vpc_services: the key is given twice (line 1)",
                twice.err().strip());
        assertEquals(1, f.directory.snapshot().workerByGatewayToken(gw).orElseThrow().bindings().size());
    }

    @Test
    void anUnknownIdIsNamedAsTheFileNamesItsBinding() throws Exception {
        String tunnel = f.tunnel("t");
        String sid = f.service("api", tunnel);
        String nope = UUID.randomUUID().toString();
        Path p = tmp.resolve("wrangler.toml");
        Run svc = deploy("wrangler.toml", "name = \"w\"\n[[vpc_services]]\nbinding = \"A\"\nservice_id = \"" + sid
                + "\"\n[[vpc_services]]\nbinding = \"B\"\nservice_id = \"" + nope + "\"\n", f.token);
        assertEquals(1, svc.code(), svc.err());
        assertEquals("edge: " + p + ": vpc_services[1] (binding B): service_id: service " + nope
                + " does not exist in this account (HTTP 400)", svc.err().strip());
        Run net = deploy("wrangler.toml", "name = \"w\"\n[[vpc_networks]]\nbinding = \"N\"\ntunnel_id = \"" + nope
                + "\"\n[[vpc_services]]\nbinding = \"A\"\nservice_id = \"" + sid + "\"\n", f.token);
        assertEquals(1, net.code(), net.err());
        assertEquals("edge: " + p + ": vpc_networks[0] (binding N): tunnel_id: tunnel " + nope
                + " does not exist in this account (HTTP 400)", net.err().strip());
    }

    @Test
    void aBindTokenDeployingAVpcNetworkBindingIsToldWhichBindingNeedsAdmin() throws Exception {
        String tunnel = f.tunnel("t");
        String sid = f.service("api", tunnel);
        String bind = f.token("Connectivity Directory Bind");
        Path p = tmp.resolve("wrangler.jsonc");
        Run net = deploy("wrangler.jsonc", """
                {
                  "name": "w",
                  "vpc_services": [{ "binding": "PRIVATE_API", "service_id": "SID", "remote": true }],
                  "vpc_networks": [{ "binding": "MY_VPC", "tunnel_id": "TID", "remote": true }],
                }
                """.replace("SID", sid).replace("TID", tunnel), bind);
        assertEquals(1, net.code(), net.err());
        assertEquals("edge: " + p + ": vpc_networks[0] (binding MY_VPC): a vpc_network binding needs Connectivity"
                + " Directory Admin (Connectivity Directory Bind binds vpc_service bindings only) (HTTP 403)",
                net.err().strip());
        assertTrue(f.directory.data().worker(f.account, "w").isEmpty(), "nothing registered");

        assertEquals(0, deploy("wrangler.jsonc", "{\"name\":\"w\",\"vpc_networks\":[{\"binding\":\"MESH\","
                + "\"network_id\":\"cf1:network\"}]}", f.token).code());
        Run replace = deploy("wrangler.jsonc", "{\"name\":\"w\",\"vpc_services\":[{\"binding\":\"PRIVATE_API\","
                + "\"service_id\":\"" + sid + "\"}]}", bind);
        assertEquals(1, replace.code(), replace.err());
        assertEquals("edge: " + p + ": worker w has vpc_network binding MESH: replacing it needs Connectivity"
                + " Directory Admin (HTTP 403)", replace.err().strip());
        Run delete = run("worker", "delete", "w", "--api", f.base(), "--token", bind);
        assertEquals(1, delete.code(), delete.err());
        assertEquals("edge: worker w has vpc_network binding MESH: deleting it needs Connectivity Directory Admin"
                + " (HTTP 403)", delete.err().strip());
    }

    @Test
    void serviceFileThatIsHugeBinaryOrNotAFileIsRefusedInOneLine() throws Exception {
        Path big = tmp.resolve("big.json");
        Files.writeString(big, "{\"type\":\"http\",\"name\":\"" + "a".repeat(2 << 20) + "\"}");
        Path bin = tmp.resolve("bin.json");
        Files.write(bin, new byte[] {'{', (byte) 0xff, '}'});
        Path missing = tmp.resolve("missing.json");
        for (String[] c : List.of(new String[] {big.toString(), "larger than 1 MiB"},
                new String[] {bin.toString(), "not UTF-8 text (binary file?)"},
                new String[] {"/dev/null", "not a regular file (a device, FIFO or socket)"},
                new String[] {missing.toString(), "no such file"})) {
            Run r = admin("service", "create", "--file", c[0]);
            assertEquals(2, r.code(), r.err());
            assertEquals("edge: --file " + c[0] + ": " + c[1], r.err().strip());
        }
        // refused before the API is asked anything: no edge needed to learn the file is bad
        Run offline = run("service", "create", "--file", "/dev/zero", "--api", "http://127.0.0.1:1", "--token", "x");
        assertEquals(2, offline.code(), offline.err());
        assertEquals("edge: --file /dev/zero: not a regular file (a device, FIFO or socket)", offline.err().strip());
    }

    @Test
    void tunnelCreateHelpPointsAtTheTokenFileNotTheCommandLine() {
        Run r = run("tunnel", "create", "--help");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().replaceAll("\\s+", " ").contains("(for 'connector run --token-file FILE')"), r.out());
    }

    @Test
    void accountDiscoveryAndErrors() {
        Run wrong = run("tunnel", "list", "--api", f.base(), "--token", f.token, "--account", "0".repeat(32));
        assertEquals(1, wrong.code());
        assertTrue(wrong.err().contains("403"), wrong.err());
        Run spaced = run("tunnel", "list", "--api", f.base(), "--token", f.token, "--account", "a b");
        assertEquals(1, spaced.code());
        assertTrue(spaced.err().contains("not valid for account a b (HTTP 403)"), spaced.err()); // not "bad API URL"
        Run badToken = run("tunnel", "list", "--api", f.base(), "--token", "nope");
        assertEquals(1, badToken.code());
        assertTrue(badToken.err().contains("invalid API token"), badToken.err());
        Run down = run("tunnel", "list", "--api", "http://127.0.0.1:1", "--token", "x");
        assertEquals(1, down.code());
        assertTrue(down.err().contains("cannot reach"), down.err());
    }

    @Test
    void theApiUrlMayEndInClientV4AsCloudflaresDoes() {
        for (String suffix : List.of("/client/v4", "/client/v4/", "/")) {
            Run r = run("tunnel", "list", "--api", f.base() + suffix, "--token", f.token);
            assertEquals(0, r.code(), suffix + ": " + r.err());
        }
    }

    @Test
    void aBadApiUrlIsBadInputWhateverIsWrongWithIt() {
        // "ht!tp://x" was exit 1 ("bad API URL"), "ftp://x" exit 2 with the HTTP client's wording
        for (String url : List.of("ht!tp://x", "ftp://127.0.0.1/", "127.0.0.1:8080", "http://")) {
            Run r = run("tunnel", "list", "--api", url, "--token", "x");
            assertEquals(2, r.code(), url + ": " + r.err());
            assertEquals("edge: --api '" + url + "': expected the edge admin API's http:// or https:// URL,"
                    + " e.g. http://127.0.0.1:8080", r.err().strip());
        }
    }

    @Test
    void aServerThatIsNotTheApiIsNamedOnceNotAsHttp401Http401() throws Exception {
        com.sun.net.httpserver.HttpServer other = com.sun.net.httpserver.HttpServer.create(
                new java.net.InetSocketAddress("127.0.0.1", 0), 0);
        other.createContext("/", x -> {
            byte[] body = "{\"message\":\"Unauthorized\"}".getBytes(java.nio.charset.StandardCharsets.UTF_8);
            x.getResponseHeaders().add("Content-Type", "application/json");
            x.sendResponseHeaders(401, body.length);
            x.getResponseBody().write(body);
            x.close();
        });
        other.start();
        try {
            String base = "http://127.0.0.1:" + other.getAddress().getPort();
            Run r = run("tunnel", "list", "--api", base, "--token", "x");
            assertEquals(1, r.code(), r.err());
            assertEquals("edge: HTTP 401 from " + base + " without an error message (is --api the edge's admin API?)",
                    r.err().strip());
        } finally {
            other.stop(0);
        }
    }
}
