package dev.vpctunnel.edge.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
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
    void serveRefusesDurationsItWouldNotHonour() throws Exception {
        Path data = tmp.resolve("serve-durations");
        assertEquals(0, CliTest.run("init", "--data", data.toString()).code());
        for (String[] bad : List.of(new String[] {"--heartbeat-interval", "0s", "must be at least 100ms"},
                new String[] {"--connect-timeout", "0s", "must be at least 1ms"},
                new String[] {"--connect-timeout", "720h", "must be at most 300s"},
                new String[] {"--tls-timeout", "10m", "must be at most 300s"})) {
            StringWriter err = new StringWriter();
            int code = new CommandLine(new EdgeMain()).setExecutionExceptionHandler(new dev.vpctunnel.core.CliErrors("edge"))
                    .setErr(new PrintWriter(err, true)).execute("serve", "--data", data.toString(),
                            "--tunnel-listen", "127.0.0.1:0", "--api-listen", "127.0.0.1:0",
                            "--gateway-listen", "127.0.0.1:0", "--metrics-listen", "127.0.0.1:0", bad[0], bad[1]);
            assertEquals(2, code, err.toString());
            assertEquals("edge: " + bad[0] + ": " + bad[2] + ", got '" + bad[1] + "'", err.toString().strip());
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

    /** A server certificate near its end is warned about at start, with how to renew it (it lasts 825 days). */
    @Test
    void serveWarnsOfACertificateThatExpiresWithin30Days() throws Exception {
        Path data = tmp.resolve("serve-expiring");
        assertEquals(0, CliTest.run("init", "--data", data.toString()).code());
        dev.vpctunnel.core.tls.Pki.Issued ca = new dev.vpctunnel.core.tls.Pki.Issued(
                dev.vpctunnel.core.tls.Pki.readCertificates(data.resolve(InitCommand.CA_CERT)).get(0),
                dev.vpctunnel.core.tls.Pki.readPrivateKey(data.resolve(InitCommand.CA_KEY)));
        dev.vpctunnel.core.tls.Pki.Issued leaf = dev.vpctunnel.core.tls.Pki.issue(ca, "vpc-tunnel edge",
                List.of("localhost", "127.0.0.1"), java.time.Duration.ofDays(10).plusHours(1));
        Files.writeString(data.resolve(InitCommand.CERT), leaf.certificatePem() + ca.certificatePem());
        dev.vpctunnel.core.tls.Pki.writePrivate(data.resolve(InitCommand.KEY), InitCommand.pkcs8(leaf.key()));
        java.io.ByteArrayOutputStream captured = new java.io.ByteArrayOutputStream();
        java.io.PrintStream before = System.err;
        System.setErr(new java.io.PrintStream(captured, true));
        try { // an address that does not resolve ends it once the warning is out
            CliTest.run("serve", "--data", data.toString(), "--tunnel-listen", "127.0.0.1:0", "--api-listen", "127.0.0.1:0",
                    "--gateway-listen", "127.0.0.1:0", "--metrics-listen", "nosuch.invalid:0");
        } finally {
            System.setErr(before);
        }
        String day = leaf.certificate().getNotAfter().toInstant().atOffset(java.time.ZoneOffset.UTC).toLocalDate().toString();
        assertTrue(captured.toString().contains(" WARN ServeCommand: the edge's certificate " + data.resolve(InitCommand.CERT)
                + " expires on " + day + " (in 10 days); connectors refuse it once it has expired. To renew it: stop the edge,"
                + " move edge-cert.pem and edge-key.pem out of " + data + ", run 'edge init --data " + data + "' with the same"
                + " --san names (the CA stays: connectors keep trusting it), start the edge again"), captured.toString());
    }

    @Test
    void serveHelpNamesTheValuesAsTheContractDoes() {
        String help = CliTest.run("serve", "--help").out();
        for (String v : List.of("--data=DIR", "--tunnel-listen=ADDR:PORT", "--api-listen=ADDR:PORT",
                "--gateway-listen=ADDR:PORT", "--metrics-listen=ADDR:PORT", "--grace-period=DURATION")) {
            assertTrue(help.contains(v), v + " in " + help);
        }
    }

    /** edge serve on DATA, its stderr; fails the test rather than hang if it starts serving. */
    private static CliTest.Run serve(Path data, String... more) {
        java.util.List<String> args = new java.util.ArrayList<>(List.of("serve", "--data", data.toString(),
                "--tunnel-listen", "127.0.0.1:0", "--api-listen", "127.0.0.1:0", "--gateway-listen", "127.0.0.1:0",
                "--metrics-listen", "127.0.0.1:0"));
        args.addAll(List.of(more));
        java.io.ByteArrayOutputStream captured = new java.io.ByteArrayOutputStream();
        java.io.PrintStream before = System.err;
        System.setErr(new java.io.PrintStream(captured, true));
        try {
            StringWriter err = new StringWriter();
            int code = org.junit.jupiter.api.Assertions.assertTimeoutPreemptively(java.time.Duration.ofSeconds(60),
                    () -> new CommandLine(new EdgeMain()).setExecutionExceptionHandler(new dev.vpctunnel.core.CliErrors("edge"))
                            .setErr(new PrintWriter(err, true)).execute(args.toArray(String[]::new)));
            return new CliTest.Run(code, "", err + captured.toString());
        } finally {
            System.setErr(before);
        }
    }

    @Test
    void serveRefusesAMissingEmptyOrDamagedStoreInsteadOfStartingAfresh() throws Exception {
        Path gone = tmp.resolve("gone");
        assertEquals(0, CliTest.run("init", "--data", gone.toString()).code());
        Files.delete(gone.resolve("directory.mv.db"));
        CliTest.Run r = serve(gone);
        assertEquals(2, r.code(), r.err());
        assertTrue(r.err().contains("has no directory store (directory.mv.db is missing)"), r.err());
        assertTrue(Files.notExists(gone.resolve("directory.mv.db")), "no empty store made in its place");

        Path cut = tmp.resolve("cut");
        assertEquals(0, CliTest.run("init", "--data", cut.toString()).code());
        byte[] whole = Files.readAllBytes(cut.resolve("directory.mv.db"));
        Files.write(cut.resolve("directory.mv.db"), java.util.Arrays.copyOf(whole, 8192));
        r = serve(cut);
        assertEquals(2, r.code(), r.err());
        assertTrue(r.err().contains("holds no account") || r.err().contains("damaged or truncated"), r.err());

        Path junk = tmp.resolve("junk");
        assertEquals(0, CliTest.run("init", "--data", junk.toString()).code());
        Files.write(junk.resolve("directory.mv.db"), new byte[40_000]);
        r = serve(junk);
        assertEquals(2, r.code(), r.err());
        assertTrue(r.err().contains("damaged or truncated") || r.err().contains("holds no account"), r.err());
    }

    @Test
    void serveRefusesThreadsOutOfRange() {
        CliTest.Run r = serve(tmp.resolve("never"), "--threads", "100000");
        assertEquals(2, r.code(), r.err());
        assertTrue(r.err().contains("--threads: must be 0-1024"), r.err());
    }

    @Test
    void plainHttpListenersOffLoopbackAreWarnedAbout() throws Exception {
        for (String loopback : List.of("127.0.0.1", "127.0.0.2", "::1")) {
            assertTrue(ServeCommand.inClear("--api-listen", new java.net.InetSocketAddress(loopback, 8080), "API tokens").isEmpty());
        }
        for (String open : List.of("0.0.0.0", "::", "10.1.2.3")) {
            String w = ServeCommand.inClear("--gateway-listen", new java.net.InetSocketAddress(open, 8787), "gateway tokens")
                    .orElseThrow();
            assertTrue(w.startsWith("--gateway-listen " + (open.contains(":") ? "[" + open + "]" : open) + ":8787 is reachable")
                    && w.contains("gateway tokens cross the network unencrypted"), w);
        }
    }
}
