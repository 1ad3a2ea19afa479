package dev.vpctunnel.edge.cli;

import dev.vpctunnel.edge.testing.ApiFixture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** edge service create --json/--file: the body as the user wrote it, against a real admin API. */
class ServiceCommandTest {
    @TempDir
    Path tmp;
    ApiFixture f;

    @BeforeEach
    void start() throws Exception {
        f = new ApiFixture(tmp.resolve("data"));
    }

    @AfterEach
    void stop() throws Exception {
        f.close();
    }

    CliTest.Run admin(String... args) {
        List<String> a = new ArrayList<>(List.of(args));
        a.addAll(List.of("--api", f.base(), "--token", f.token));
        return CliTest.run(a.toArray(String[]::new));
    }

    @Test
    void aServiceKeyGivenTwiceIsRefusedNotSilentlyTheLastOne() throws Exception {
        String tunnel = f.tunnel("t");
        String body = "{\"type\":\"http\",\"name\":\"api\",\"http_port\":8080,\"http_port\":1,"
                + "\"host\":{\"ipv4\":\"10.0.0.5\",\"network\":{\"tunnel_id\":\"" + tunnel + "\"}}}";
        CliTest.Run inline = admin("service", "create", "--json", body);
        assertEquals(2, inline.code(), inline.out());
        assertEquals("edge: --json: http_port: the key is given twice", inline.err().strip());
        Path file = tmp.resolve("svc.json");
        Files.writeString(file, body);
        CliTest.Run fromFile = admin("service", "create", "--file", file.toString());
        assertEquals(2, fromFile.code(), fromFile.out());
        assertEquals("edge: " + file + ": http_port: the key is given twice", fromFile.err().strip());
        assertEquals(0, f.get(f.acct("/connectivity/directory/services")).result().size(), "nothing created");
    }

    @Test
    void aBodyThatIsNoObjectOrNoJsonIsRefusedByTheCliNamingWhatWasGiven() throws Exception {
        CliTest.Run empty = admin("service", "create", "--json", "");
        assertEquals(2, empty.code(), empty.out());
        assertEquals("edge: --json: expected the service as a JSON object, e.g. {\"type\":\"http\",\"name\":\"api\",…},"
                + " got nothing", empty.err().strip());
        CliTest.Run array = admin("service", "create", "--json", "[1]");
        assertEquals(2, array.code(), array.out());
        assertTrue(array.err().strip().endsWith(", got '[1]'"), array.err());
        Path file = tmp.resolve("svc.json");
        Files.writeString(file, "{\n  \"type\": \"http\"\n");
        CliTest.Run cut = admin("service", "create", "--file", file.toString());
        assertEquals(2, cut.code(), cut.out());
        // Jackson's message without its "(start marker at [Source: REDACTED …])", with where the input ended
        assertEquals("edge: " + file + ": not valid JSON (Unexpected end-of-input: expected close marker for Object"
                + " at line 3, column 1)", cut.err().strip());
        assertEquals(0, f.get(f.acct("/connectivity/directory/services")).result().size(), "nothing created");
    }

    @Test
    void theSeedsServiceExampleWithItsCommentsCanBeCreatedFromAFile() throws Exception {
        String tunnel = f.tunnel("t");
        Path file = tmp.resolve("svc.json");
        Files.writeString(file, """
                {
                  "type": "http",
                  "name": "human-readable-name",
                  "http_port": 80,
                  "https_port": 443,
                  "host": {
                    "hostname": "example.com",
                    "resolver_network": {
                      "tunnel_id": "TID",
                      "resolver_ips": ["10.0.0.1"] // Optional
                    }
                  }
                }
                """.replace("TID", tunnel));
        CliTest.Run r = admin("service", "create", "--file", file.toString());
        assertEquals(0, r.code(), r.err());
        JsonNode s = ApiFixture.JSON.readTree(r.out());
        assertEquals("10.0.0.1", s.path("host").path("resolver_network").path("resolver_ips").path(0).asString());
    }
}
