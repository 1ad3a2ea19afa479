package dev.vpctunnel.edge.api;

import dev.vpctunnel.edge.testing.ApiFixture;
import dev.vpctunnel.edge.testing.ApiFixture.Resp;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Names (tunnels, services, tokens) and other strings of admin bodies: what is refused, what still goes through. */
class NamesApiTest {
    @TempDir
    Path tmp;
    ApiFixture f;
    String tunnel;

    @BeforeEach
    void start() throws Exception {
        f = new ApiFixture(tmp);
        tunnel = f.tunnel("base");
    }

    @AfterEach
    void stop() throws Exception {
        f.close();
    }

    /** JSON string literals (as sent on the wire, escapes included) that no name may be, and what the 400 says. */
    static final Map<String, String> BAD = Map.ofEntries(
            Map.entry("a\\u0000b", "control character U+0000"),
            Map.entry("line\\nbreak", "control character U+000A"),
            Map.entry("esc\\u001b[31mred", "control character U+001B"),
            Map.entry("del\\u007f", "control character U+007F"),
            Map.entry("nel\\u0085", "control character U+0085"),
            Map.entry("c1\\u009b", "control character U+009B"),
            Map.entry("invoice\\u202Egpj.exe", "formatting character U+202E"),
            Map.entry("zero\\u200Bwidth", "formatting character U+200B"),
            Map.entry("bom\\uFEFF", "formatting character U+FEFF"),
            Map.entry("lone\\uD800high", "unpaired surrogate U+D800"),
            Map.entry("lone\\uDC00low", "unpaired surrogate U+DC00"),
            Map.entry("end\\uD83D", "unpaired surrogate U+D83D"));

    static final List<String> GOOD = List.of("human-readable-name", "my-worker", "db prod (eu-west)", "café",
            "数据库", "rocket \\uD83D\\uDE80 launch", "tab-free_name.v2", "x");

    private Resp createTunnel(String jsonName) {
        return f.post(f.acct("/cfd_tunnel"), "{\"name\":\"" + jsonName + "\"}");
    }

    private Resp createService(String jsonName) {
        return f.post(f.acct("/connectivity/directory/services"), "{\"type\":\"http\",\"name\":\"" + jsonName
                + "\",\"host\":{\"ipv4\":\"10.0.0.1\",\"network\":{\"tunnel_id\":\"" + tunnel + "\"}}}");
    }

    private Resp createToken(String jsonName) {
        return f.post(f.acct("/tokens"), "{\"name\":\"" + jsonName + "\",\"roles\":[\"Connectivity Directory Read\"]}");
    }

    private static void assertRefused(Resp r, String field, String what, String sent) {
        assertEquals(400, r.status(), sent + " -> " + r);
        assertFalse(r.body().path("success").asBoolean(true), r.toString());
        assertEquals(1001, r.code(), r.toString());
        assertTrue(r.error().startsWith(field + ": "), sent + " -> " + r.error());
        assertTrue(r.error().contains(what), sent + " -> " + r.error());
    }

    @Test
    void namesWithControlFormattingOrBrokenCharactersAreRefused() {
        BAD.forEach((name, what) -> {
            assertRefused(createTunnel(name), "name", what, name);
            assertRefused(createService(name), "name", what, name);
            assertRefused(createToken(name), "name", what, name);
        });
        assertEquals(1, f.get(f.acct("/cfd_tunnel")).result().size(), "nothing stored but the base tunnel");
        assertEquals(0, f.get(f.acct("/connectivity/directory/services")).result().size());
    }

    @Test
    void otherStringFieldsAreCheckedToo() {
        Resp r = f.post(f.acct("/teamnet/routes"), "{\"network\":\"10.9.0.0/16\",\"tunnel_id\":\"" + tunnel
                + "\",\"comment\":\"hi\\u202Ethere\"}");
        assertRefused(r, "comment", "formatting character U+202E", "comment");
        r = f.post(f.acct("/connectivity/directory/services"), "{\"type\":\"http\",\"name\":\"s\",\"host\":{"
                + "\"hostname\":\"db.internal\\u0000\",\"resolver_network\":{\"tunnel_id\":\"" + tunnel + "\"}}}");
        assertRefused(r, "host.hostname", "control character U+0000", "host.hostname");
    }

    @Test
    void ordinaryNamesIncludingNonAsciiStillWork() {
        for (String name : GOOD) {
            Resp t = createTunnel(name);
            assertEquals(200, t.status(), name + " -> " + t);
            String expected = ApiFixture.JSON.readTree("\"" + name + "\"").asString();
            assertEquals(expected, t.result().path("name").asString());
            Resp s = createService(name);
            assertEquals(200, s.status(), name + " -> " + s);
            assertEquals(expected, s.result().path("name").asString());
            Resp k = createToken(name);
            assertEquals(200, k.status(), name + " -> " + k);
        }
    }
}
