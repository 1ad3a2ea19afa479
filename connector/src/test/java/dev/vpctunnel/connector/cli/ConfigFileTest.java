package dev.vpctunnel.connector.cli;

import dev.vpctunnel.core.log.Logs;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.logging.Level;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** connector.yaml: every key read, every refusal names the file, the key and the reason. */
class ConfigFileTest {
    @TempDir
    Path dir;
    Path file;

    @BeforeEach
    void files() throws IOException {
        file = dir.resolve("connector.yaml");
        Files.writeString(dir.resolve("edge-ca.pem"), "x");
        Files.writeString(dir.resolve("origin1.pem"), "x");
        Files.writeString(dir.resolve("origin2.pem"), "x");
        Files.writeString(dir.resolve("token"), "x");
    }

    private ConfigFile.Values parse(String yaml) {
        return ConfigFile.parse(file, yaml);
    }

    private String refusal(String yaml) {
        return assertThrows(IllegalArgumentException.class, () -> parse(yaml)).getMessage();
    }

    @Test
    void everyKeyIsRead() {
        ConfigFile.Values v = parse("""
                # a connector inside the LAN
                edges:
                  - edge1.example.net:7844
                  - "[::1]:7845"
                edge-ca: edge-ca.pem
                ha-connections: 2
                origin-ca: [origin1.pem, origin2.pem]
                allow: [10.0.0.0/8, 192.168.1.0/24]
                deny:
                  - 10.9.0.0/16
                metrics-listen: 127.0.0.1:20241
                grace-period: 45s
                heartbeat-interval: 2s
                heartbeat-timeout: 1m
                threads: 3
                log-level: debug
                log-format: json
                token-file: token
                """);
        assertEquals(List.of(InetSocketAddress.createUnresolved("edge1.example.net", 7844),
                InetSocketAddress.createUnresolved("::1", 7845)), v.edges());
        assertEquals(dir.resolve("edge-ca.pem"), v.edgeCa());
        assertEquals(2, v.haConnections());
        assertEquals(List.of(dir.resolve("origin1.pem"), dir.resolve("origin2.pem")), v.originCas());
        assertEquals(List.of("10.0.0.0/8", "192.168.1.0/24"), v.allow());
        assertEquals(List.of("10.9.0.0/16"), v.deny());
        assertEquals("127.0.0.1:20241", v.metricsListen());
        assertEquals(Duration.ofSeconds(45), v.gracePeriod());
        assertEquals(Duration.ofSeconds(2), v.heartbeatInterval());
        assertEquals(Duration.ofMinutes(1), v.heartbeatTimeout());
        assertEquals(3, v.threads());
        assertEquals(Level.FINE, v.logLevel());
        assertEquals(Logs.Format.JSON, v.logFormat());
        assertEquals(dir.resolve("token"), v.tokenFile());
        assertNull(v.token());
        assertTrue(v.warnings().isEmpty());
    }

    @Test
    void scalarsAreListsOfOneAndCommasSplitLikeTheFlags() {
        ConfigFile.Values v = parse("edges: a:1, b:2\nallow: 10.0.0.1\norigin-ca: origin1.pem\ngrace-period: 10\n");
        assertEquals(2, v.edges().size());
        assertEquals(List.of("10.0.0.1"), v.allow());
        assertEquals(List.of(dir.resolve("origin1.pem")), v.originCas());
        assertEquals(Duration.ofSeconds(10), v.gracePeriod(), "a bare number is seconds");
    }

    @Test
    void absolutePathsStayAbsolute() {
        assertEquals(dir.resolve("edge-ca.pem"), parse("edge-ca: " + dir.resolve("edge-ca.pem") + "\n").edgeCa());
    }

    @Test
    void emptyFileOrOnlyCommentsIsEmpty() {
        assertEquals(ConfigFile.Values.EMPTY, parse(""));
        assertEquals(ConfigFile.Values.EMPTY, parse("# nothing yet\n"));
    }

    @Test
    void tokenInTheFileIsAcceptedWithAWarning() throws IOException {
        ConfigFile.Values v = parse("token: abc\n");
        assertEquals("abc", v.token());
        assertEquals(1, v.warnings().size());
        assertTrue(v.warnings().get(0).contains("holds the tunnel token itself"), v.warnings().get(0));
        assertTrue(!v.warnings().get(0).contains("abc"), "the warning never shows the token");
    }

    @Test
    void unknownKey() {
        String m = refusal("edges: [a:1]\nedge_ca: edge-ca.pem\n");
        assertTrue(m.startsWith(file + ": unknown key 'edge_ca' (known keys: edges, edge-ca,"), m);
    }

    @Test
    void notYaml() {
        String m = refusal("edges: [a:1\n");
        assertTrue(m.startsWith(file + ": not valid YAML at line "), m);
    }

    @Test
    void duplicateKey() {
        String m = refusal("log-level: info\nlog-level: debug\n");
        assertTrue(m.startsWith(file + ": not valid YAML") && m.contains("log-level"), m);
    }

    @Test
    void topLevelMustBeAMapping() {
        assertEquals(file + ": expected a mapping of keys (edges:, edge-ca:, ...) at the top", refusal("- a\n- b\n"));
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            edges: [edge1]                 | key 'edges': expected HOST:PORT, got 'edge1'
            edges: ['a:99999']             | key 'edges': port must be 1-65535, got 99999
            edges: []                      | key 'edges': is an empty list (remove the key or give it values)
            edges: [{a: 1}]                | key 'edges': item 1 must be a single non-empty value
            edges:                         | key 'edges': has no value (remove the key or give it one)
            edge-ca: [edge-ca.pem]         | key 'edge-ca': expected a single value, got a list
            ha-connections: 0              | key 'ha-connections': must be 1-64, got 0
            ha-connections: four           | key 'ha-connections': expected a whole number, got 'four'
            ha-connections: 2.5            | key 'ha-connections': expected a whole number, got '2.5'
            allow: [10.0.0.0/33]           | key 'allow': invalid CIDR '10.0.0.0/33': prefix length must be 0-32
            deny: [intranet]               | key 'deny': invalid CIDR 'intranet': not an IP address
            metrics-listen: localhost      | key 'metrics-listen': expected HOST:PORT, got 'localhost'
            grace-period: soon             | key 'grace-period': expected a duration like 30s, 500ms or 2m, got 'soon'
            grace-period: -5s              | key 'grace-period': must not be negative, got '-5s'
            heartbeat-interval: 5 parsecs  | key 'heartbeat-interval': expected a duration like 30s, 500ms or 2m, got '5 parsecs'
            heartbeat-timeout: {a: 1}      | key 'heartbeat-timeout': expected a single value, got a mapping
            threads: -1                    | key 'threads': must be 0-1024, got -1
            log-level: loud                | key 'log-level': log level must be one of debug, info, warn, error; got 'loud'
            log-format: xml                | key 'log-format': log format must be text or json; got 'xml'
            token: ''                      | key 'token': is empty
            """)
    void badValuesAreRefusedWithFileKeyAndReason(String yaml, String expected) {
        assertEquals(file + ": " + expected.replace("DIR", dir.toString()), refusal(yaml + "\n"));
    }

    @Test
    void tokenAndTokenFileTogetherAreRefused() {
        assertEquals(file + ": key 'token': set token-file or token, not both", refusal("token: abc\ntoken-file: token\n"));
    }

    @Test
    void unreadableConfigFile() {
        String m = assertThrows(IllegalArgumentException.class, () -> ConfigFile.load(dir.resolve("nope.yaml"))).getMessage();
        assertEquals("--config " + dir.resolve("nope.yaml") + ": no such file", m);
    }
}
