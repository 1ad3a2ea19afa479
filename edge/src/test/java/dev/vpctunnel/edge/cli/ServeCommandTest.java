package dev.vpctunnel.edge.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** edge serve's flags: refused before anything is opened, and named as the contract names them. */
class ServeCommandTest {
    @TempDir
    Path tmp;

    @Test
    void serveRefusesABadOriginTimeoutBeforeItOpensAnything() {
        Path data = tmp.resolve("serve");
        assertEquals(0, CliTest.run("init", "--data", data.toString()).code());
        for (String flag : List.of("--connect-timeout", "--tls-timeout")) {
            StringWriter err = new StringWriter();
            int code = new CommandLine(new EdgeMain()).setExecutionExceptionHandler(new dev.vpctunnel.core.CliErrors("edge"))
                    .setErr(new PrintWriter(err, true)).execute("serve", "--data", data.toString(),
                            "--tunnel-listen", "127.0.0.1:0", "--api-listen", "127.0.0.1:0",
                            "--gateway-listen", "127.0.0.1:0", "--metrics-listen", "127.0.0.1:0", flag, "5parsecs");
            assertEquals(2, code, err.toString());
            assertEquals("edge: " + flag + ": expected a duration like 30s, 500ms or 2m, got '5parsecs'", err.toString().strip());
        }
    }

    @Test
    void serveRefusesAHeartbeatTimeoutNotAboveTheInterval() throws Exception {
        Path data = tmp.resolve("serve-heartbeat");
        assertEquals(0, CliTest.run("init", "--data", data.toString()).code());
        for (String[] pair : List.of(new String[] {"10s", "10s"}, new String[] {"5s", "2s"})) {
            StringWriter err = new StringWriter();
            int code = new CommandLine(new EdgeMain()).setExecutionExceptionHandler(new dev.vpctunnel.core.CliErrors("edge"))
                    .setErr(new PrintWriter(err, true)).execute("serve", "--data", data.toString(),
                            "--tunnel-listen", "127.0.0.1:0", "--api-listen", "127.0.0.1:0",
                            "--gateway-listen", "127.0.0.1:0", "--metrics-listen", "127.0.0.1:0",
                            "--heartbeat-interval", pair[0], "--heartbeat-timeout", pair[1]);
            assertEquals(2, code, err.toString());
            assertEquals("edge: --heartbeat-timeout: must be greater than --heartbeat-interval, got " + pair[1] + " and "
                    + pair[0], err.toString().strip());
        }
    }

    @Test
    void serveNamesAListenAddressItCannotResolve() {
        Path data = tmp.resolve("serve-unresolved");
        assertEquals(0, CliTest.run("init", "--data", data.toString()).code());
        java.io.ByteArrayOutputStream captured = new java.io.ByteArrayOutputStream();
        java.io.PrintStream before = System.err;
        System.setErr(new java.io.PrintStream(captured, true));
        int code;
        try {
            code = CliTest.run("serve", "--data", data.toString(), "--tunnel-listen", "127.0.0.1:0", "--api-listen", "127.0.0.1:0",
                    "--gateway-listen", "127.0.0.1:0", "--metrics-listen", "nosuch.invalid:0").code();
        } finally {
            System.setErr(before);
        }
        assertEquals(2, code);
        assertTrue(captured.toString().contains("--metrics-listen nosuch.invalid:0: cannot resolve host 'nosuch.invalid'"),
                captured.toString());
    }

    @Test
    void serveHelpNamesTheValuesAsTheContractDoes() {
        String help = CliTest.run("serve", "--help").out();
        for (String v : List.of("--data=DIR", "--tunnel-listen=ADDR:PORT", "--api-listen=ADDR:PORT",
                "--gateway-listen=ADDR:PORT", "--metrics-listen=ADDR:PORT", "--grace-period=DURATION")) {
            assertTrue(help.contains(v), v + " in " + help);
        }
    }
}
