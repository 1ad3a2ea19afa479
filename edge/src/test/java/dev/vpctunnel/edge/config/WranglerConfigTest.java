package dev.vpctunnel.edge.config;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.UUID;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class WranglerConfigTest {
    @TempDir
    Path tmp;

    /** The seed's first wrangler.jsonc example, verbatim. */
    static final String SEED_JSONC = """
            {
              "$schema": "./node_modules/wrangler/config-schema.json",
              "name": "my-worker",
              "main": "src/index.js",
              "vpc_services": [
                {
                  "binding": "PRIVATE_API",
                  "service_id": "e6a0817c-79c5-40ca-9776-a1c019defe70",
                  "remote": true // When true, utilizes [remote bindings](/workers/development-testing/#remote-bindings) to allow access to the VPC Service during local development.
                }
              ]
            }
            """;

    /** The seed's first wrangler.toml example, verbatim. */
    static final String SEED_TOML = """
            "$schema" = "./node_modules/wrangler/config-schema.json"
            name = "my-worker"
            main = "src/index.js"


            [[vpc_services]]
            binding = "PRIVATE_API"
            service_id = "e6a0817c-79c5-40ca-9776-a1c019defe70"
            remote = true
            """;

    private Path write(String name, String text) throws Exception {
        Path p = tmp.resolve(name);
        Files.writeString(p, text);
        return p;
    }

    @Test
    void readsTheSeedsJsoncAndToml() throws Exception {
        for (Path p : new Path[] {write("wrangler.jsonc", SEED_JSONC), write("wrangler.toml", SEED_TOML)}) {
            WranglerConfig c = WranglerConfig.read(p);
            assertEquals("my-worker", c.name());
            assertEquals(tmp.resolve("src/index.js").toAbsolutePath(), c.main());
            assertEquals(1, c.bindings().size());
            WranglerConfig.VpcService s = (WranglerConfig.VpcService) c.bindings().get(0);
            assertEquals("PRIVATE_API", s.binding());
            assertEquals(UUID.fromString("e6a0817c-79c5-40ca-9776-a1c019defe70"), s.serviceId());
            assertTrue(s.remote());
        }
    }

    @Test
    void readsNetworksTrailingCommasAndBlockComments() throws Exception {
        Path p = write("wrangler.jsonc", """
                /* header */
                {
                  "name": "net-worker",
                  "vpc_networks": [
                    { "binding": "MY_VPC", "tunnel_id": "550e8400-e29b-41d4-a716-446655440000", "remote": true, },
                    { "binding": "MESH", "network_id": "cf1:network", },
                  ],
                }
                """);
        WranglerConfig c = WranglerConfig.read(p);
        assertNull(c.main());
        WranglerConfig.VpcNetwork a = (WranglerConfig.VpcNetwork) c.bindings().get(0);
        WranglerConfig.VpcNetwork b = (WranglerConfig.VpcNetwork) c.bindings().get(1);
        assertEquals(UUID.fromString("550e8400-e29b-41d4-a716-446655440000"), a.tunnelId());
        assertNull(b.tunnelId());
        assertEquals("cf1:network", b.networkId());
        Path t = write("wrangler.toml", """
                name = "n"
                [[vpc_networks]]
                binding = "MY_VPC"
                network_id = "cf1:network"
                remote = true
                """);
        assertEquals("cf1:network", ((WranglerConfig.VpcNetwork) WranglerConfig.read(t).bindings().get(0)).networkId());
    }

    private String error(String file, String text) throws Exception {
        Path p = write(file, text);
        return assertThrows(WranglerConfigException.class, () -> WranglerConfig.read(p)).getMessage();
    }

    @Test
    void aMisspeltBindingListIsRefusedNotReadAsNoBindings() throws Exception {
        Path jsonc = write("wrangler.jsonc", """
                { "name": "w", "vpc_service": [ { "binding": "API", "service_id": "e6a0817c-79c5-40ca-9776-a1c019defe70" } ] }
                """);
        WranglerConfigException e = assertThrows(WranglerConfigException.class, () -> WranglerConfig.read(jsonc));
        assertEquals(jsonc + ": vpc_service: not a binding list of this tool (vpc_services or vpc_networks: did you mean"
                + " vpc_services?)", e.getMessage());
        Path toml = write("wrangler.toml", """
                name = "w"
                [[vpc_network]]
                binding = "NET"
                network_id = "cf1:network"
                """);
        e = assertThrows(WranglerConfigException.class, () -> WranglerConfig.read(toml));
        assertTrue(e.getMessage().endsWith("vpc_network: not a binding list of this tool (vpc_services or vpc_networks:"
                + " did you mean vpc_networks?)"), e.getMessage());
    }

    @Test
    void errorsNameTheFileTheBindingAndTheReason() throws Exception {
        String m = error("wrangler.jsonc", "{\"name\":\"w\",\"vpc_services\":[{\"binding\":\"API\",\"service_id\":\"nope\"}]}");
        assertTrue(m.contains("wrangler.jsonc") && m.contains("API") && m.contains("service_id") && m.contains("not a UUID"), m);
        m = error("wrangler.toml", "name = \"w\"\n[[vpc_networks]]\nbinding = \"NET\"\nnetwork_id = \"cf1:other\"\n");
        assertTrue(m.contains("wrangler.toml") && m.contains("NET") && m.contains("network_id"), m);
        m = error("wrangler.jsonc", "{\"vpc_networks\":[{\"binding\":\"NET\"}]}");
        assertTrue(m.contains("NET") && m.contains("exactly one of tunnel_id or network_id"), m);
        m = error("wrangler.jsonc", "{\"vpc_services\":[{\"binding\":\"bad-name\",\"service_id\":\"e6a0817c-79c5-40ca-9776-a1c019defe70\"}]}");
        assertTrue(m.contains("bad-name") && m.contains("JavaScript identifier"), m);
        m = error("wrangler.jsonc", "{\"vpc_services\":[{\"binding\":\"A\",\"service_id\":\"e6a0817c-79c5-40ca-9776-a1c019defe70\"}],"
                + "\"vpc_networks\":[{\"binding\":\"A\",\"network_id\":\"cf1:network\"}]}");
        assertTrue(m.contains("vpc_networks[0]") && m.contains("used by another binding"), m);
        m = error("wrangler.toml", "[[vpc_services]]\nbinding = \"N\"\nservice_id = 5\n");
        assertTrue(m.endsWith("wrangler.toml: vpc_services[0] (binding N): service_id: must be a string"), m);
        m = error("wrangler.jsonc", "{\"name\": 5}");
        assertTrue(m.endsWith("wrangler.jsonc: name: must be a string"), m);
        m = error("wrangler.jsonc", "{\"vpc_services\":[{\"binding\":\"A\",\"serviceid\":\"x\"}]}");
        assertTrue(m.contains("serviceid") && m.contains("unknown key"), m);
        m = error("wrangler.jsonc", "{\"vpc_services\":[{\"service_id\":\"e6a0817c-79c5-40ca-9776-a1c019defe70\"}]}");
        assertTrue(m.contains("binding: is required"), m);
        m = error("wrangler.jsonc", "{\"name\": \"w\", \"vpc_services\": [ {");
        assertTrue(m.contains("wrangler.jsonc") && m.contains("not valid JSONC"), m);
        m = error("wrangler.toml", "name = \n");
        assertTrue(m.contains("not valid TOML"), m);
        m = error("wrangler.jsonc", "{\"vpc_services\":{}}");
        assertTrue(m.contains("vpc_services: must be an array"), m);
        Path missing = tmp.resolve("nope.jsonc");
        assertEquals("--config " + missing + ": no such file",
                assertThrows(WranglerConfigException.class, () -> WranglerConfig.read(missing)).getMessage());
        WranglerConfig noName = WranglerConfig.read(write("w2.jsonc", "{\"vpc_services\":[]}"));
        assertTrue(assertThrows(WranglerConfigException.class, noName::requireName).getMessage().contains("name"));
    }
    @Test
    void aKeyGivenTwiceIsRefusedNamingTheKeyNotSilentlyReplaced() throws Exception {
        String svc = "{\"binding\":\"API\",\"service_id\":\"e6a0817c-79c5-40ca-9776-a1c019defe70\"}";
        // the second vpc_services used to replace the first: a redeploy then dropped every binding, exit 0
        String m = error("wrangler.jsonc", "{\"name\":\"n\",\"vpc_services\":[" + svc + "],\"vpc_services\":[]}");
        assertEquals(tmp.resolve("wrangler.jsonc") + ": vpc_services: the key is given twice (line 1)", m);
        m = error("wrangler.jsonc", "{\"name\":\"n\",\"vpc_services\":[{\"binding\":\"API\",\"binding\":\"B\","
                + "\"service_id\":\"e6a0817c-79c5-40ca-9776-a1c019defe70\"}]}");
        assertEquals(tmp.resolve("wrangler.jsonc") + ": binding: the key is given twice (line 1)", m);
        m = error("wrangler.toml", "name = \"n\"\nname = \"m\"\n");
        assertEquals(tmp.resolve("wrangler.toml") + ": name: the key is given twice (line 2)", m);
        m = error("wrangler.toml", "name = \"n\"\n[[vpc_services]]\nbinding = \"API\"\nbinding = \"B\"\n"
                + "service_id = \"e6a0817c-79c5-40ca-9776-a1c019defe70\"\n");
        assertEquals(tmp.resolve("wrangler.toml") + ": binding: the key is given twice (line 4)", m);
    }

    @Test
    void aLeadingByteOrderMarkIsAccepted() throws Exception {
        for (String name : new String[] {"wrangler.jsonc", "wrangler.toml"}) {
            Path p = tmp.resolve(name);
            Files.write(p, ("\uFEFF" + (name.endsWith(".toml") ? SEED_TOML : SEED_JSONC))
                    .getBytes(java.nio.charset.StandardCharsets.UTF_8));
            WranglerConfig c = WranglerConfig.read(p);
            assertEquals("my-worker", c.name(), name);
            assertEquals(1, c.bindings().size(), name);
        }
    }

    @Test
    void aFileThatIsHugeBinaryOrNotAFileIsRefusedInOneLine() throws Exception {
        Path big = tmp.resolve("big.jsonc");
        try (java.io.RandomAccessFile f = new java.io.RandomAccessFile(big.toFile(), "rw")) {
            f.setLength(3L << 30); // sparse: read whole, it was an OutOfMemoryError
        }
        Path bin = tmp.resolve("bin.jsonc");
        Files.write(bin, new byte[] {'{', (byte) 0xff, (byte) 0xfe, '}'});
        Path fifo = tmp.resolve("fifo.jsonc");
        boolean haveFifo = new ProcessBuilder("mkfifo", fifo.toString()).start().waitFor() == 0;
        java.util.Map<Path, String> cases = new java.util.LinkedHashMap<>();
        cases.put(big, "larger than 1 MiB");
        cases.put(bin, "not UTF-8 text (binary file?)");
        cases.put(Path.of("/dev/zero"), "not a regular file (a device, FIFO or socket)");
        cases.put(tmp, "is a directory");
        if (haveFifo) {
            cases.put(fifo, "not a regular file (a device, FIFO or socket)"); // it blocked for ever
        }
        for (var c : cases.entrySet()) {
            String m = org.junit.jupiter.api.Assertions.assertTimeoutPreemptively(java.time.Duration.ofSeconds(20),
                    () -> assertThrows(WranglerConfigException.class, () -> WranglerConfig.read(c.getKey())).getMessage());
            assertEquals("--config " + c.getKey() + ": " + c.getValue(), m);
        }
    }
}
