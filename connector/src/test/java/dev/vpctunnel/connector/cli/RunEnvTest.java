package dev.vpctunnel.connector.cli;

import dev.vpctunnel.core.log.Logs;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;
import picocli.CommandLine.Model.OptionSpec;

import java.io.IOException;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.logging.Level;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static dev.vpctunnel.connector.cli.RunSettingsTest.withEnv;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The TUNNEL_* variables of connector run: flag over variable over --config file; refusals name the variable. */
class RunEnvTest {
    @TempDir
    Path dir;
    Path config;

    /** A variable for every flag, each with a value unlike the file's and the flags'. */
    static Map<String, String> all() {
        Map<String, String> env = new HashMap<>();
        env.put(RunEnv.TOKEN_FILE, "/env/token");
        env.put(RunEnv.EDGE, "env-edge:1, env-edge:2");
        env.put(RunEnv.EDGE_CA, "/env/ca.pem");
        env.put(RunEnv.HA_CONNECTIONS, "5");
        env.put(RunEnv.ORIGIN_CA, "/env/o1.pem,/env/o2.pem");
        env.put(RunEnv.ALLOW, "10.2.0.0/16,10.3.0.0/16");
        env.put(RunEnv.DENY, "10.2.9.0/24");
        env.put(RunEnv.METRICS, "127.0.0.1:3333");
        env.put(RunEnv.GRACE_PERIOD, "31s");
        env.put(RunEnv.HEARTBEAT_INTERVAL, "32s");
        env.put(RunEnv.HEARTBEAT_TIMEOUT, "33s");
        env.put(RunEnv.THREADS, "7");
        env.put(RunEnv.LOG_LEVEL, "error");
        env.put(RunEnv.LOG_FORMAT, "json");
        return env;
    }

    @BeforeEach
    void files() throws IOException {
        config = RunSettingsTest.writeConfig(dir, "text");
    }

    @Test
    void everyVariableOverridesTheFile() {
        RunSettings s = withEnv(all(), "--config", config.toString());
        assertEquals(List.of(InetSocketAddress.createUnresolved("env-edge", 1), InetSocketAddress.createUnresolved("env-edge", 2)),
                s.edges(), "a list variable replaces the file's list");
        assertEquals(Path.of("/env/ca.pem"), s.edgeCa());
        assertEquals(RunEnv.EDGE_CA, s.edgeCaLabel());
        assertEquals(5, s.haConnections());
        assertEquals(List.of(Path.of("/env/o1.pem"), Path.of("/env/o2.pem")), s.originCas());
        assertEquals(RunEnv.ORIGIN_CA, s.originCaLabel());
        assertEquals(List.of("10.2.0.0/16", "10.3.0.0/16"), s.allow());
        assertEquals(List.of("10.2.9.0/24"), s.deny());
        assertEquals("127.0.0.1:3333", s.metricsListen());
        assertEquals(RunEnv.METRICS, s.metricsListenLabel());
        assertEquals(Duration.ofSeconds(31), s.gracePeriod());
        assertEquals(Duration.ofSeconds(32), s.heartbeatInterval());
        assertEquals(Duration.ofSeconds(33), s.heartbeatTimeout());
        assertEquals(7, s.threads());
        assertEquals(Level.SEVERE, s.logLevel());
        assertEquals(Logs.Format.JSON, s.logFormat());
        assertEquals(Path.of("/env/token"), s.tokenFile());
        assertEquals(RunEnv.TOKEN_FILE, s.tokenFileLabel());
    }

    @Test
    void everyFlagOverridesItsVariable_whichIsThenNotRead() {
        Map<String, String> env = all();
        env.put(RunEnv.HA_CONNECTIONS, "0"); // refused if it were read
        env.put(RunEnv.GRACE_PERIOD, "soon");
        env.put(RunEnv.ALLOW, "nope");
        RunSettings s = withEnv(env, "--config", config.toString(), "--edge", "flag-edge:1", "--edge-ca", "flag-ca.pem",
                "--ha-connections", "6", "--origin-ca", "o-flag.pem", "--allow", "192.168.0.0/16", "--deny", "192.168.9.9",
                "--metrics-listen", "127.0.0.1:2222", "--grace-period", "21s", "--heartbeat-interval", "22s",
                "--heartbeat-timeout", "23s", "--threads", "4", "--log-level", "debug", "--log-format", "text",
                "--token-file", "flag-token");
        assertEquals(List.of(InetSocketAddress.createUnresolved("flag-edge", 1)), s.edges());
        assertEquals(Path.of("flag-ca.pem"), s.edgeCa());
        assertEquals("--edge-ca", s.edgeCaLabel());
        assertEquals(6, s.haConnections());
        assertEquals(List.of(Path.of("o-flag.pem")), s.originCas());
        assertEquals("--origin-ca", s.originCaLabel());
        assertEquals(List.of("192.168.0.0/16"), s.allow());
        assertEquals(List.of("192.168.9.9"), s.deny());
        assertEquals("127.0.0.1:2222", s.metricsListen());
        assertEquals("--metrics-listen", s.metricsListenLabel());
        assertEquals(Duration.ofSeconds(21), s.gracePeriod());
        assertEquals(Duration.ofSeconds(22), s.heartbeatInterval());
        assertEquals(Duration.ofSeconds(23), s.heartbeatTimeout());
        assertEquals(4, s.threads());
        assertEquals(Level.FINE, s.logLevel());
        assertEquals(Logs.Format.TEXT, s.logFormat());
        assertEquals(Path.of("flag-token"), s.tokenFile());
        assertEquals("--token-file", s.tokenFileLabel());
    }

    @Test
    void listsAreCommaSeparatedWithSpacesAndEmptyItemsIgnored() {
        RunSettings s = withEnv(Map.of(RunEnv.EDGE, " a:1 ,,b:2, ", RunEnv.EDGE_CA, "ca.pem", RunEnv.DENY, "10.0.0.0/8 , fd00::/8",
                RunEnv.ORIGIN_CA, "x.pem"), "--token", "t");
        assertEquals(List.of(InetSocketAddress.createUnresolved("a", 1), InetSocketAddress.createUnresolved("b", 2)), s.edges());
        assertEquals(List.of("10.0.0.0/8", "fd00::/8"), s.deny());
        assertEquals(List.of(Path.of("x.pem")), s.originCas());
        assertEquals("TUNNEL_ALLOW: no values in ', ,' (unset it or give values, comma-separated)",
                assertThrows(IllegalArgumentException.class, () -> withEnv(Map.of(RunEnv.ALLOW, ", ,"), "--edge", "e:1",
                        "--edge-ca", "ca.pem")).getMessage());
    }

    @Test
    void badValuesAreRefusedNamingTheVariable() {
        Map<String, String> cases = new java.util.LinkedHashMap<>();
        cases.put(RunEnv.HA_CONNECTIONS + "=0", "TUNNEL_HA_CONNECTIONS: must be 1-64, got 0");
        cases.put(RunEnv.HA_CONNECTIONS + "=four", "TUNNEL_HA_CONNECTIONS: expected a whole number, got 'four'");
        cases.put(RunEnv.THREADS + "=2000", "TUNNEL_THREADS: must be 0-1024 (0: one per core), got 2000");
        cases.put(RunEnv.GRACE_PERIOD + "=soon", "TUNNEL_GRACE_PERIOD: expected a duration like 30s, 500ms or 2m, got 'soon'");
        cases.put(RunEnv.HEARTBEAT_INTERVAL + "=0s", "TUNNEL_HEARTBEAT_INTERVAL: must be at least 100ms, got '0s'");
        cases.put(RunEnv.ALLOW + "=10.0.0.0/8,nope", "TUNNEL_ALLOW: invalid CIDR 'nope': not an IP address");
        cases.put(RunEnv.DENY + "=1.2.3.4/40", "TUNNEL_DENY: invalid CIDR '1.2.3.4/40': prefix length must be 0-32");
        cases.put(RunEnv.METRICS + "=x", "TUNNEL_METRICS: expected HOST:PORT, got 'x'");
        cases.put(RunEnv.LOG_LEVEL + "=loud", "TUNNEL_LOGLEVEL: log level must be one of debug, info, warn, error; got 'loud'");
        cases.put(RunEnv.LOG_FORMAT + "=xml", "TUNNEL_LOG_OUTPUT: log format must be text or json; got 'xml'");
        cases.put(RunEnv.HEARTBEAT_TIMEOUT + "=2s", "TUNNEL_HEARTBEAT_TIMEOUT: must be greater than the heartbeat interval,"
                + " got 2s and the default --heartbeat-interval 5s");
        for (Map.Entry<String, String> c : cases.entrySet()) {
            String[] kv = c.getKey().split("=", 2);
            String m = assertThrows(IllegalArgumentException.class,
                    () -> withEnv(Map.of(kv[0], kv[1]), "--edge", "e:1", "--edge-ca", "ca.pem"), c.getKey()).getMessage();
            assertEquals(c.getValue(), m);
        }
        assertEquals("TUNNEL_EDGE: expected HOST:PORT, got 'nohost'", assertThrows(IllegalArgumentException.class,
                () -> withEnv(Map.of(RunEnv.EDGE, "e:1,nohost"), "--edge-ca", "ca.pem")).getMessage());
        // the pair: each named as it was given
        assertEquals("TUNNEL_HEARTBEAT_TIMEOUT: must be greater than the heartbeat interval, got 5s and --heartbeat-interval 10s",
                assertThrows(IllegalArgumentException.class, () -> withEnv(Map.of(RunEnv.HEARTBEAT_TIMEOUT, "5s"),
                        "--edge", "e:1", "--edge-ca", "ca.pem", "--heartbeat-interval", "10s")).getMessage());
        assertEquals("--heartbeat-timeout: must be greater than the heartbeat interval, got 5s and TUNNEL_HEARTBEAT_INTERVAL 10s",
                assertThrows(IllegalArgumentException.class, () -> withEnv(Map.of(RunEnv.HEARTBEAT_INTERVAL, "10s"),
                        "--edge", "e:1", "--edge-ca", "ca.pem", "--heartbeat-timeout", "5s")).getMessage());
    }

    @Test
    void aBadVariableExitsTwoWithOneLineNamingIt() {
        RunSettingsTest.Run r = RunSettingsTest.run(Map.of(RunEnv.HA_CONNECTIONS, "0"),
                "run", "--edge", "e:1", "--edge-ca", "ca.pem", "--token", "t");
        assertEquals(2, r.code(), r.err());
        assertEquals("connector: TUNNEL_HA_CONNECTIONS: must be 1-64, got 0", r.err());
        // a token file named by the variable is refused under that name
        r = RunSettingsTest.run(Map.of(RunEnv.TOKEN_FILE, dir.resolve("nope").toString()), "run", "--edge", "e:1", "--edge-ca", "ca.pem");
        assertEquals(2, r.code(), r.err());
        assertTrue(r.err().startsWith("connector: TUNNEL_TOKEN_FILE " + dir.resolve("nope") + ": "), r.err());
    }

    @Test
    void anEmptyOrBlankVariableIsUnset() {
        Map<String, String> env = new HashMap<>();
        for (String name : variables()) {
            env.put(name, name.hashCode() % 2 == 0 ? "" : "  ");
        }
        RunSettings fromFile = withEnv(env, "--config", config.toString());
        assertEquals(withEnv(Map.of(), "--config", config.toString()), fromFile, "the file's values, as without the variables");
        assertEquals(dir.resolve("file-token"), fromFile.tokenFile());
        env.put(RunEnv.TOKEN, "from-env");
        RunSettings s = withEnv(env, "--edge", "e:1", "--edge-ca", "ca.pem");
        assertNull(s.tokenFile(), "an empty TUNNEL_TOKEN_FILE (compose files set one) leaves TUNNEL_TOKEN to be used");
        assertEquals(RunSettings.DEFAULT_GRACE, s.gracePeriod());
        assertEquals(RunSettings.DEFAULT_HA_CONNECTIONS, s.haConnections());
    }

    @Test
    void tokenOrder_flagsThenTokenFileVariableThenTokenVariableThenFile() {
        Map<String, String> both = Map.of(RunEnv.TOKEN_FILE, "/env/token", RunEnv.TOKEN, "env");
        assertEquals(Path.of("/env/token"), withEnv(both, "--config", config.toString()).tokenFile());
        assertEquals(Path.of("flag-token"), withEnv(both, "--config", config.toString(), "--token-file", "flag-token").tokenFile());
        RunSettings tokenOnly = withEnv(Map.of(RunEnv.TOKEN, "env"), "--config", config.toString());
        assertNull(tokenOnly.tokenFile(), "TUNNEL_TOKEN wins over the file: TokenSource then reads it");
        assertNull(tokenOnly.token());
    }

    @Test
    void cloudflaredsDefaultLogOutputIsText() {
        RunSettings s = withEnv(Map.of(RunEnv.LOG_FORMAT, "default"), "--edge", "e:1", "--edge-ca", "ca.pem", "--token", "t");
        assertEquals(Logs.Format.TEXT, s.logFormat());
    }

    /** RunEnv's names: its static String constants. */
    private static Set<String> variables() {
        Set<String> out = new TreeSet<>();
        for (Field f : RunEnv.class.getDeclaredFields()) {
            if (Modifier.isStatic(f.getModifiers()) && f.getType() == String.class) {
                try {
                    out.add((String) f.get(null));
                } catch (IllegalAccessException e) {
                    throw new AssertionError(e);
                }
            }
        }
        return out;
    }

    @Test
    void helpShowsEveryFlagsVariable() {
        CommandLine cl = new CommandLine(new RunCommand());
        Pattern env = Pattern.compile("\\[\\$(TUNNEL_[A-Z_]+)]$");
        Set<String> named = new TreeSet<>();
        for (OptionSpec o : cl.getCommandSpec().options()) {
            if (o.usageHelp() || o.versionHelp() || o.longestName().equals("--config")) {
                continue;
            }
            Matcher m = env.matcher(String.join(" ", o.description()));
            assertTrue(m.find(), o.longestName() + " names no variable: " + String.join(" ", o.description()));
            assertTrue(named.add(m.group(1)), m.group(1) + " named twice");
        }
        assertEquals(variables(), named, "each variable is named by exactly one flag");
        String help = cl.getUsageMessage(CommandLine.Help.Ansi.OFF);
        for (String v : named) {
            assertTrue(help.contains(v), v + " not in --help:\n" + help);
        }
    }
}
