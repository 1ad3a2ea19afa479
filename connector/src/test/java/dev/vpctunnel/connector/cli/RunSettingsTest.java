package dev.vpctunnel.connector.cli;

import dev.vpctunnel.core.log.Logs;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.logging.Level;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Flags over the --config file over the defaults; the token's order of sources. */
class RunSettingsTest {
    @TempDir
    Path dir;
    Path config;

    @BeforeEach
    void files() throws IOException {
        for (String f : List.of("file-ca.pem", "flag-ca.pem", "o-file.pem", "o-flag.pem", "file-token", "flag-token")) {
            Files.writeString(dir.resolve(f), "x");
        }
        config = writeConfig(dir, "json");
    }

    /** A --config file in dir that sets every key, each to a value unlike the flags' and variables' in these tests. */
    static Path writeConfig(Path dir, String logFormat) throws IOException {
        Path config = dir.resolve("connector.yaml");
        Files.writeString(config, """
                edges: [file-edge:7844]
                edge-ca: file-ca.pem
                ha-connections: 2
                origin-ca: o-file.pem
                allow: 10.1.0.0/16
                deny: 10.1.9.0/24
                metrics-listen: 127.0.0.1:1111
                grace-period: 11s
                heartbeat-interval: 12s
                heartbeat-timeout: 13s
                threads: 3
                log-level: warn
                log-format: LOG_FORMAT
                token-file: file-token
                """.replace("LOG_FORMAT", logFormat));
        return config;
    }

    /** The settings of {@code args} with TUNNEL_TOKEN={@code env} (null: unset) the only variable. */
    private static RunSettings settings(String env, String... args) {
        return withEnv(env == null ? Map.of() : Map.of(RunEnv.TOKEN, env), args);
    }

    static RunSettings withEnv(Map<String, String> env, String... args) {
        RunCommand cmd = new RunCommand();
        new CommandLine(cmd).parseArgs(args);
        return RunSettings.resolve(cmd, env::get);
    }

    @Test
    void theFileAloneGivesEveryValue() {
        RunSettings s = settings(null, "--config", config.toString());
        assertEquals(List.of(InetSocketAddress.createUnresolved("file-edge", 7844)), s.edges());
        assertEquals(dir.resolve("file-ca.pem"), s.edgeCa());
        assertEquals(2, s.haConnections());
        assertEquals(List.of(dir.resolve("o-file.pem")), s.originCas());
        assertEquals(List.of("10.1.0.0/16"), s.allow());
        assertEquals(List.of("10.1.9.0/24"), s.deny());
        assertEquals("127.0.0.1:1111", s.metricsListen());
        assertEquals(Duration.ofSeconds(11), s.gracePeriod());
        assertEquals(Duration.ofSeconds(12), s.heartbeatInterval());
        assertEquals(Duration.ofSeconds(13), s.heartbeatTimeout());
        assertEquals(3, s.threads());
        assertEquals(Level.WARNING, s.logLevel());
        assertEquals(Logs.Format.JSON, s.logFormat());
        assertEquals(dir.resolve("file-token"), s.tokenFile());
        assertNull(s.token());
        assertEquals(config + ": key 'token-file'", s.tokenFileLabel());
        assertEquals(config + ": key 'edge-ca'", s.edgeCaLabel());
    }

    @Test
    void fileKeysAFlagOrTheEnvironmentOverridesAreNotRead() throws IOException {
        // The shipped unit's user cannot read a root-only token file the yaml names: --token-file or TUNNEL_TOKEN wins.
        Files.writeString(config, "edges: [e:1]\nedge-ca: /nonexistent/ca.pem\ntoken-file: /nonexistent/token\n"
                + "origin-ca: /nonexistent/o.pem\n");
        RunSettings s = settings(null, "--config", config.toString(), "--token-file", "flag-token", "--edge-ca", "ca.pem",
                "--origin-ca", "o.pem");
        assertEquals(Path.of("flag-token"), s.tokenFile());
        assertEquals("--token-file", s.tokenFileLabel());
        assertEquals("--edge-ca", s.edgeCaLabel());
        assertNull(settings("from-env", "--config", config.toString(), "--edge-ca", "ca.pem", "--origin-ca", "o.pem").tokenFile());
        assertEquals("--origin-ca", s.originCaLabel());
        RunSettings fromFile = settings("from-env", "--config", config.toString(), "--edge-ca", "ca.pem");
        assertEquals(List.of(Path.of("/nonexistent/o.pem")), fromFile.originCas());
        assertEquals(config + ": key 'origin-ca'", fromFile.originCaLabel()); // the origin service's refusal names it
    }

    @Test
    void anEmptyTokenFileSettingIsNoTokenFile() {
        // TUNNEL_TOKEN_FILE= (compose files set it empty) reaches --token-file as "": TUNNEL_TOKEN is used, as cloudflared does
        RunSettings s = settings("from-env", "--edge", "e:1", "--edge-ca", "ca.pem", "--token-file", "");
        assertNull(s.tokenFile());
    }

    @Test
    void everyFlagOverridesTheFile() {
        RunSettings s = settings(null, "--config", config.toString(), "--edge", "flag-edge:1,flag-edge:2",
                "--edge-ca", dir.resolve("flag-ca.pem").toString(), "--ha-connections", "6",
                "--origin-ca", dir.resolve("o-flag.pem").toString(), "--allow", "192.168.0.0/16", "--deny", "192.168.9.9",
                "--metrics-listen", "127.0.0.1:2222", "--grace-period", "21s", "--heartbeat-interval", "22s",
                "--heartbeat-timeout", "23s", "--threads", "4", "--log-level", "debug", "--log-format", "text",
                "--token-file", dir.resolve("flag-token").toString());
        assertEquals(List.of(InetSocketAddress.createUnresolved("flag-edge", 1),
                InetSocketAddress.createUnresolved("flag-edge", 2)), s.edges(), "a list flag replaces the file's list");
        assertEquals(dir.resolve("flag-ca.pem"), s.edgeCa());
        assertEquals(6, s.haConnections());
        assertEquals(List.of(dir.resolve("o-flag.pem")), s.originCas());
        assertEquals(List.of("192.168.0.0/16"), s.allow());
        assertEquals(List.of("192.168.9.9"), s.deny());
        assertEquals("127.0.0.1:2222", s.metricsListen());
        assertEquals(Duration.ofSeconds(21), s.gracePeriod());
        assertEquals(Duration.ofSeconds(22), s.heartbeatInterval());
        assertEquals(Duration.ofSeconds(23), s.heartbeatTimeout());
        assertEquals(4, s.threads());
        assertEquals(Level.FINE, s.logLevel());
        assertEquals(Logs.Format.TEXT, s.logFormat());
        assertEquals(dir.resolve("flag-token"), s.tokenFile());
    }

    @Test
    void flagsAloneGetTheDefaults() {
        RunSettings s = settings(null, "--edge", "e:7844", "--edge-ca", "ca.pem", "--token", "t");
        assertEquals(4, s.haConnections());
        assertEquals(Duration.ofSeconds(30), s.gracePeriod());
        assertEquals(Duration.ofSeconds(5), s.heartbeatInterval());
        assertEquals(Duration.ofSeconds(15), s.heartbeatTimeout());
        assertEquals(0, s.threads());
        assertEquals(Level.INFO, s.logLevel());
        assertEquals(Logs.Format.TEXT, s.logFormat());
        assertNull(s.metricsListen());
        assertEquals(List.of(), s.allow());
        assertEquals("t", s.token());
    }

    @Test
    void listFlagsTakeSeveralValuesAsTheContractWritesThem() {
        // CONTRACT.md: [--origin-ca FILE…] [--allow CIDR…] [--deny CIDR…]; commas and repeating work too
        RunSettings s = settings(null, "--edge", "e:7844", "--edge-ca", "ca.pem", "--token", "t",
                "--allow", "10.0.0.0/8", "192.168.0.0/16,172.16.0.0/12", "--deny", "10.9.0.0/16", "10.8.0.0/16",
                "--origin-ca", "a.pem", "b.pem", "--origin-ca", "c.pem", "--allow", "fd00::/8");
        assertEquals(List.of("10.0.0.0/8", "192.168.0.0/16", "172.16.0.0/12", "fd00::/8"), s.allow());
        assertEquals(List.of("10.9.0.0/16", "10.8.0.0/16"), s.deny());
        assertEquals(List.of(Path.of("a.pem"), Path.of("b.pem"), Path.of("c.pem")), s.originCas());
        assertEquals(Duration.ofSeconds(30), s.gracePeriod());
    }

    @Test
    void tokenOrder_flagThenEnvironmentThenFile() {
        assertEquals("flag", settings("env", "--config", config.toString(), "--token", "flag").token());
        RunSettings env = settings("env", "--config", config.toString());
        assertNull(env.token(), "TUNNEL_TOKEN wins over the file: TokenSource then reads the environment");
        assertNull(env.tokenFile());
        assertEquals(dir.resolve("file-token"), settings("  ", "--config", config.toString()).tokenFile());
    }

    @Test
    void missingEdgeOrCaNamesBothWays() {
        assertEquals("--edge HOST:PORT is required (or TUNNEL_EDGE, or 'edges:' in the --config file)",
                assertThrows(IllegalArgumentException.class, () -> settings(null, "--edge-ca", "x")).getMessage());
        assertTrue(assertThrows(IllegalArgumentException.class, () -> settings(null, "--edge", "e:1")).getMessage()
                .startsWith("--edge-ca FILE is required"));
    }

    @Test
    void badFlagsAreRefusedNamingTheFlag() {
        List<String[]> cases = new ArrayList<>();
        cases.add(new String[] {"--ha-connections", "0", "--ha-connections: must be 1-64, got 0"});
        cases.add(new String[] {"--grace-period", "x", "--grace-period: expected a duration like 30s, 500ms or 2m, got 'x'"});
        cases.add(new String[] {"--allow", "nope", "--allow: invalid CIDR 'nope': not an IP address"});
        cases.add(new String[] {"--deny", "1.2.3.4/40", "--deny: invalid CIDR '1.2.3.4/40': prefix length must be 0-32"});
        cases.add(new String[] {"--metrics-listen", "x", "--metrics-listen: expected HOST:PORT, got 'x'"});
        cases.add(new String[] {"--log-level", "loud", "--log-level: log level must be one of debug, info, warn, error; got 'loud'"});
        cases.add(new String[] {"--edge", "nohost", "--edge: expected HOST:PORT, got 'nohost'"});
        cases.add(new String[] {"--threads", "100000", "--threads: must be 0-1024 (0: one per core), got 100000"});
        for (String[] c : cases) {
            List<String> args = new ArrayList<>(List.of("--edge", "e:1", "--edge-ca", "ca.pem"));
            args.add(c[0]);
            args.add(c[1]);
            String m = assertThrows(IllegalArgumentException.class, () -> settings(null, args.toArray(String[]::new))).getMessage();
            assertEquals(c[2], m);
        }
    }

    @Test
    void durationsTooLargeToHoldAreRefusedWithOneLineAndExitTwo() throws IOException {
        assertEquals("--grace-period: too large, at most 365 days (8760h), got '99999999999999999h'",
                assertThrows(IllegalArgumentException.class, () -> settings(null, "--edge", "e:1", "--edge-ca", "ca.pem",
                        "--grace-period", "99999999999999999h")).getMessage());
        Files.writeString(config, "grace-period: 99999999999999999m\n");
        assertEquals(config + ": key 'grace-period': too large, at most 365 days (8760h), got '99999999999999999m'",
                assertThrows(IllegalArgumentException.class, () -> settings(null, "--config", config.toString())).getMessage());
        Run r = run("run", "--edge", "e:1", "--edge-ca", "ca.pem", "--token", "t", "--grace-period", "99999999999999999h");
        assertEquals(2, r.code(), r.err());
        assertEquals("connector: --grace-period: too large, at most 365 days (8760h), got '99999999999999999h'", r.err());
    }

    @Test
    void aHeartbeatIntervalThatWouldTurnTheHeartbeatOffIsRefused() throws IOException {
        assertEquals("--heartbeat-interval: must be at least 100ms, got '0s'", assertThrows(IllegalArgumentException.class,
                () -> settings(null, "--edge", "e:1", "--edge-ca", "ca.pem", "--heartbeat-interval", "0s")).getMessage());
        Files.writeString(config, "heartbeat-interval: 0\n");
        assertEquals(config + ": key 'heartbeat-interval': must be at least 100ms, got '0'", assertThrows(
                IllegalArgumentException.class, () -> settings(null, "--config", config.toString(), "--edge", "e:1",
                        "--edge-ca", "ca.pem")).getMessage());
    }

    @Test
    void aHeartbeatTimeoutNotAboveTheIntervalIsRefusedFlagsAndFileAlike() throws IOException {
        List<String[]> flagCases = new ArrayList<>();
        flagCases.add(new String[] {"--heartbeat-interval=10s", "--heartbeat-timeout=5s",
                "--heartbeat-timeout: must be greater than the heartbeat interval, got 5s and --heartbeat-interval 10s"});
        flagCases.add(new String[] {"--heartbeat-interval=5s", "--heartbeat-timeout=5000ms",
                "--heartbeat-timeout: must be greater than the heartbeat interval, got 5s and --heartbeat-interval 5s"});
        flagCases.add(new String[] {"--heartbeat-timeout=2s", "--threads=1",
                "--heartbeat-timeout: must be greater than the heartbeat interval, got 2s and the default --heartbeat-interval 5s"});
        flagCases.add(new String[] {"--heartbeat-interval=20s", "--threads=1",
                "--heartbeat-interval: must be less than the heartbeat timeout, got 20s and the default --heartbeat-timeout 15s"});
        for (String[] c : flagCases) {
            String m = assertThrows(IllegalArgumentException.class,
                    () -> settings(null, "--edge", "e:1", "--edge-ca", "ca.pem", c[0], c[1])).getMessage();
            assertEquals(c[2], m);
        }
        Files.writeString(config, "heartbeat-interval: 10s\nheartbeat-timeout: 5s\n");
        assertEquals(config + ": key 'heartbeat-timeout': must be greater than the heartbeat interval, got 5s and key"
                + " 'heartbeat-interval' 10s", assertThrows(IllegalArgumentException.class,
                () -> settings(null, "--config", config.toString(), "--edge", "e:1", "--edge-ca", "ca.pem")).getMessage());
        assertEquals("--heartbeat-timeout: must be greater than the heartbeat interval, got 500ms and key"
                + " 'heartbeat-interval' 10s in " + config, assertThrows(IllegalArgumentException.class,
                () -> settings(null, "--config", config.toString(), "--edge", "e:1", "--edge-ca", "ca.pem",
                        "--heartbeat-timeout", "500ms")).getMessage());
        Files.writeString(config, "heartbeat-interval: 30s\n");
        assertEquals(config + ": key 'heartbeat-interval': must be less than the heartbeat timeout, got 30s and the"
                + " default --heartbeat-timeout 15s", assertThrows(IllegalArgumentException.class,
                () -> settings(null, "--config", config.toString(), "--edge", "e:1", "--edge-ca", "ca.pem")).getMessage());
        // a flag that fixes the file's pair is enough
        RunSettings ok = settings(null, "--config", config.toString(), "--edge", "e:1", "--edge-ca", "ca.pem",
                "--heartbeat-timeout", "30001ms");
        assertEquals(Duration.ofMillis(30_001), ok.heartbeatTimeout());

        Run r = run("run", "--edge", "e:1", "--edge-ca", "ca.pem", "--token", "t", "--heartbeat-interval", "10s",
                "--heartbeat-timeout", "10s");
        assertEquals(2, r.code(), r.err());
        assertEquals("connector: --heartbeat-timeout: must be greater than the heartbeat interval, got 10s and"
                + " --heartbeat-interval 10s", r.err());
    }

    /** What {@code connector ARGS} printed on stderr (both the picocli writer and System.err), and its exit code. */
    record Run(int code, String err) {
    }

    static Run run(String... args) {
        return run(Map.of(), args);
    }

    /** {@code connector ARGS} in the environment {@code env} (instead of the process's). */
    static Run run(Map<String, String> env, String... args) {
        CommandLine.IFactory factory = new CommandLine.IFactory() {
            @Override
            public <K> K create(Class<K> cls) throws Exception {
                return cls == RunCommand.class ? cls.cast(new RunCommand(env::get)) : CommandLine.defaultFactory().create(cls);
            }
        };
        StringWriter err = new StringWriter();
        java.io.PrintStream old = System.err;
        java.io.ByteArrayOutputStream buf = new java.io.ByteArrayOutputStream();
        System.setErr(new java.io.PrintStream(buf, true));
        int code;
        try {
            code = new CommandLine(new ConnectorMain(), factory).setExecutionExceptionHandler(new dev.vpctunnel.core.CliErrors("connector"))
                    .setErr(new PrintWriter(err, true)).execute(args);
        } finally {
            System.setErr(old);
        }
        return new Run(code, (err + buf.toString()).strip());
    }

    @Test
    void aBadFileIsRefusedEvenWhenFlagsWouldOverrideIt() throws IOException {
        Files.writeString(config, "grace-period: soon\n");
        String m = assertThrows(IllegalArgumentException.class,
                () -> settings(null, "--config", config.toString(), "--grace-period", "5s")).getMessage();
        assertEquals(config + ": key 'grace-period': expected a duration like 30s, 500ms or 2m, got 'soon'", m);
    }

    @Test
    void versionSubcommandPrintsWhatVersionFlagPrints() {
        StringWriter a = new StringWriter();
        StringWriter b = new StringWriter();
        assertEquals(0, new CommandLine(new ConnectorMain()).setOut(new PrintWriter(a)).execute("version"));
        assertEquals(0, new CommandLine(new ConnectorMain()).setOut(new PrintWriter(b)).execute("--version"));
        assertTrue(a.toString().startsWith("connector "), a.toString());
        assertEquals(b.toString(), a.toString());
    }

    @Test
    void runExitsTwoWithOneLineNamingFileAndKey() throws IOException {
        Files.writeString(config, "edges: [e:1]\nsurprise: yes\n");
        StringWriter err = new StringWriter();
        java.io.PrintStream old = System.err;
        java.io.ByteArrayOutputStream buf = new java.io.ByteArrayOutputStream();
        System.setErr(new java.io.PrintStream(buf, true));
        int code;
        try {
            code = new CommandLine(new ConnectorMain()).setErr(new PrintWriter(err)).execute("run", "--config", config.toString());
        } finally {
            System.setErr(old);
        }
        assertEquals(2, code);
        String out = buf.toString().strip();
        assertTrue(out.startsWith("connector: " + config + ": unknown key 'surprise'"), out);
        assertEquals(1, out.lines().count(), out);
    }
}
