package dev.vpctunnel.connector.cli;

import dev.vpctunnel.core.link.TunnelToken;
import dev.vpctunnel.core.tls.Pki;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** --metrics-listen that cannot be listened on: one line naming the flag and the address, exit 2. */
class MetricsListenTest {
    @TempDir
    Path dir;
    Path edgeCa;
    String token;

    @BeforeEach
    void files() throws IOException {
        edgeCa = dir.resolve("edge-ca.pem");
        Files.writeString(edgeCa, Pki.newCa("edge CA", Duration.ofDays(1)).certificatePem());
        token = new TunnelToken("0123456789abcdef0123456789abcdef", UUID.randomUUID(), new byte[32]).encode();
    }

    private List<String> args(String... more) {
        // a dead edge: nothing must get far enough to need one
        List<String> a = new ArrayList<>(List.of("run", "--edge", "127.0.0.1:1", "--edge-ca", edgeCa.toString(), "--token", token));
        a.addAll(List.of(more));
        return a;
    }

    @Test
    void anUnresolvableHostIsRefusedNamingFlagAndHost() {
        RunCommand cmd = new RunCommand();
        List<String> run = args("--metrics-listen", "nosuch.invalid:0");
        new picocli.CommandLine(cmd).parseArgs(run.subList(1, run.size()).toArray(String[]::new)); // without "run"
        String m = assertThrows(IllegalArgumentException.class, () -> RunSettings.resolve(cmd, name -> null)).getMessage();
        assertEquals("--metrics-listen: cannot resolve host 'nosuch.invalid' (give an address of this machine, e.g. 127.0.0.1:20241)", m);

        RunSettingsTest.Run r = RunSettingsTest.run(args("--metrics-listen", "nosuch.invalid:0").toArray(String[]::new));
        assertEquals(2, r.code(), r.err());
        assertEquals("connector: " + m, r.err());
    }

    @Test
    void anUnresolvableHostInTheConfigFileNamesFileAndKey() throws IOException {
        Path config = dir.resolve("connector.yaml");
        Files.writeString(config, "metrics-listen: nosuch.invalid:9090\n");
        RunSettingsTest.Run r = RunSettingsTest.run(args("--config", config.toString()).toArray(String[]::new));
        assertEquals(2, r.code(), r.err());
        assertEquals("connector: " + config + ": key 'metrics-listen': cannot resolve host 'nosuch.invalid' (give an"
                + " address of this machine, e.g. 127.0.0.1:20241)", r.err());
    }

    @Test
    void aPortInUseIsRefusedNamingFlagAndAddress() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            String addr = "127.0.0.1:" + taken.getLocalPort();
            // its own process: this gets as far as binding, past the logging and signal set-up
            List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-cp", System.getProperty("java.class.path"), ConnectorMain.class.getName()));
            cmd.addAll(args("--metrics-listen", addr));
            Process p = new ProcessBuilder(cmd).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            p.getOutputStream().close();
            String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8).strip();
            assertTrue(p.waitFor(60, TimeUnit.SECONDS), "the connector did not exit: " + err);
            assertEquals(1, p.exitValue(), err); // not 2, the unit's RestartPreventExitStatus: it may be free in a moment
            List<String> lines = err.lines().toList();
            String last = lines.get(lines.size() - 1);
            assertTrue(last.startsWith("connector: --metrics-listen " + addr + ": cannot listen: "), err);
            assertEquals("connector: --metrics-listen " + addr + ": cannot listen: Address already in use", last);
            assertFalse(err.contains("\tat "), "no stack trace: " + err);
        }
    }
}
