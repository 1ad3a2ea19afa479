package dev.vpctunnel.edge.workerd;

import dev.vpctunnel.edge.config.WranglerConfigException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class WorkerdConfigTest {
    static final String TOKEN = "gw_abcDEF123-_x";

    @TempDir
    Path tmp;

    private Path worker(String wranglerName, String wrangler) throws Exception {
        Path dir = tmp.resolve("w");
        Files.createDirectories(dir.resolve("src/lib"));
        Files.createDirectories(dir.resolve("src/node_modules/x"));
        Files.writeString(dir.resolve("src/index.js"), "import {a} from './lib/a.js'; export default {};");
        Files.writeString(dir.resolve("src/lib/a.js"), "export const a = 1;");
        Files.writeString(dir.resolve("src/data.json"), "{}");
        Files.writeString(dir.resolve("src/node_modules/x/index.js"), "skipped");
        Files.writeString(dir.resolve("src/README.md"), "not a module");
        Path f = dir.resolve(wranglerName);
        Files.writeString(f, wrangler);
        return f;
    }

    @Test
    void rendersWrappedBindingsAroundProxyStyleExternalServices() throws Exception {
        Path f = worker("wrangler.jsonc", """
                {
                  // comment
                  "name": "my-worker", "main": "src/index.js", "compatibility_date": "2025-10-01",
                  "compatibility_flags": ["nodejs_compat"],
                  "vars": {"GREETING": "hi \\"there\\"", "LIMITS": {"n": 1}},
                  "vpc_services": [{"binding": "PRIVATE_API", "service_id": "e6a0817c-79c5-40ca-9776-a1c019defe70", "remote": true},],
                  "vpc_networks": [{"binding": "MY_VPC", "network_id": "cf1:network", "remote": true}],
                }
                """);
        WorkerSource src = WorkerSource.read(f);
        assertEquals(List.of("index.js", "data.json", "lib/a.js"), src.modules().stream().map(WorkerModule::name).toList());
        String capnp = new WorkerdConfig("my-worker", src, "127.0.0.1:8787", TOKEN, "127.0.0.1:8788").render(tmp.resolve("out"));

        assertTrue(capnp.contains("using Workerd = import \"/workerd/workerd.capnp\";"), capnp);
        for (String b : List.of("PRIVATE_API", "MY_VPC")) {
            assertTrue(capnp.contains("(name = \"vpc-gateway-" + b + "\", external = (address = \"127.0.0.1:8787\", http = (style = proxy,"), capnp);
            assertTrue(capnp.contains("(name = \"cf-vpc-binding\", value = \"" + b + "\")"), capnp);
            assertTrue(capnp.contains("(name = \"" + b + "\", wrapped = (moduleName = \"vpc:binding\", innerBindings = ["), capnp);
            assertTrue(capnp.contains("(name = \"gateway\", service = \"vpc-gateway-" + b + "\")"), capnp);
        }
        assertTrue(capnp.contains("(name = \"proxy-authorization\", value = \"Bearer " + TOKEN + "\")"), capnp);
        assertTrue(capnp.contains("(name = \"vpc:binding\", esModule = embed \"vpc-binding.js\", internal = true)"), capnp);
        assertTrue(capnp.contains("(name = \"index.js\", esModule = embed \"../w/src/index.js\")"), capnp);
        assertTrue(capnp.contains("(name = \"lib/a.js\", esModule = embed \"../w/src/lib/a.js\")"), capnp);
        assertTrue(capnp.contains("(name = \"data.json\", json = embed \"../w/src/data.json\")"), capnp);
        assertFalse(capnp.contains("node_modules"), capnp);
        assertTrue(capnp.contains("compatibilityDate = \"2025-10-01\""), capnp);
        assertTrue(capnp.contains("compatibilityFlags = [\"nodejs_compat\"]"), capnp);
        assertTrue(capnp.contains("(name = \"GREETING\", text = \"hi \\\"there\\\"\")"), capnp);
        assertTrue(capnp.contains("(name = \"LIMITS\", json = \"{\\\"n\\\":1}\")"), capnp);
        assertTrue(capnp.contains("sockets = [(name = \"http\", address = \"127.0.0.1:8788\", http = (), service = \"my-worker\")]"), capnp);
    }

    @Test
    void readsToml() throws Exception {
        Path f = worker("wrangler.toml", """
                name = "t"
                main = "src/index.js"
                [[vpc_services]]
                binding = "API"
                service_id = "e6a0817c-79c5-40ca-9776-a1c019defe70"
                """);
        WorkerSource src = WorkerSource.read(f);
        assertEquals(WorkerSource.DEFAULT_COMPATIBILITY_DATE, src.compatibilityDate());
        assertEquals("API", src.wrangler().bindings().get(0).binding());
    }

    @Test
    void writesTheConfigOwnerOnlyAndTheWrapperModule() throws Exception {
        Path f = worker("wrangler.jsonc", "{\"name\":\"w\",\"main\":\"src/index.js\"}");
        WorkerdConfig cfg = new WorkerdConfig("w", WorkerSource.read(f), "127.0.0.1:8787", TOKEN, "127.0.0.1:8788");
        List<Path> files = WorkerdConfigWriter.write(cfg, tmp.resolve("out"));
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(files.get(0))));
        String wrapper = Files.readString(files.get(1), StandardCharsets.UTF_8);
        assertTrue(wrapper.contains("cf-vpc-error") && wrapper.contains("export default function"), wrapper);
        assertFalse(cfg.toString().contains(TOKEN));
    }

    @Test
    void refusesBadInput() throws Exception {
        Path f = worker("wrangler.jsonc", "{\"name\":\"w\",\"main\":\"src/missing.js\"}");
        assertTrue(assertThrows(WranglerConfigException.class, () -> WorkerSource.read(f)).getMessage().contains("main"));
        Path g = worker("wrangler.jsonc", "{\"name\":\"w\",\"main\":\"src/index.js\"}");
        WorkerSource src = WorkerSource.read(g);
        assertThrows(IllegalArgumentException.class, () -> new WorkerdConfig("w", src, "nohost", TOKEN, "127.0.0.1:1"));
        assertThrows(IllegalArgumentException.class, () -> new WorkerdConfig("w", src, "127.0.0.1:8787", "a b", "127.0.0.1:1"));
        assertThrows(IllegalArgumentException.class, () -> new WorkerdConfig("w", src, "127.0.0.1:8787", TOKEN, "127.0.0.1:70000"));
        for (String remote : List.of("", ", \"remote\": false")) {
            Path h = worker("wrangler.jsonc", "{\"name\":\"w\",\"main\":\"src/index.js\",\"vpc_networks\":[{\"binding\":\"NET\","
                    + "\"network_id\":\"cf1:network\"" + remote + "}]}");
            WorkerSource local = WorkerSource.read(h); // edge deploy takes it: remote matters only in local development
            String why = assertThrows(IllegalArgumentException.class,
                    () -> new WorkerdConfig("w", local, "127.0.0.1:8787", TOKEN, "127.0.0.1:1")).getMessage();
            assertTrue(why.startsWith(h + ": vpc_networks (binding NET): \"remote\": true is required"), why);
        }
    }

    @Test
    void escapesCapnpText() {
        assertEquals("\"a\\\"b\\\\c\\n\\x01\"", Capnp.text("a\"b\\c\n\u0001"));
    }
}
