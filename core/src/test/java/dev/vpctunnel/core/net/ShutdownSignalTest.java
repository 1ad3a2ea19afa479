package dev.vpctunnel.core.net;

import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The signals {@link Shutdown} drains on, in a JVM of their own (a signal handler is the whole process's). */
class ShutdownSignalTest {
    /** Installs Shutdown, says "ready", waits for the drain, says "drained" and exits 0. */
    public static final class Probe {
        public static void main(String[] args) throws InterruptedException {
            Shutdown s = new Shutdown().install();
            System.out.println("ready");
            System.out.flush();
            s.await();
            if (args.length > 0) {
                Thread.sleep(Long.parseLong(args[0])); // a drain that takes a while: a second signal meets it
            }
            System.out.println("drained");
            System.out.flush();
            System.exit(0);
        }
    }

    private static Process start(String shellPrefix) throws IOException {
        return start(shellPrefix, "");
    }

    private static Process start(String shellPrefix, String probeArgs) throws IOException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        String cmd = shellPrefix + "exec '" + java + "' -cp '" + System.getProperty("java.class.path") + "' '"
                + Probe.class.getName() + "' " + probeArgs;
        return new ProcessBuilder("sh", "-c", cmd).redirectErrorStream(true).start();
    }

    private static void signal(Process p, String sig) throws Exception {
        assertEquals(0, new ProcessBuilder("kill", "-" + sig, Long.toString(p.pid())).start().waitFor());
    }

    /** The output up to "ready" (the handlers are in place from then on). */
    private static BufferedReader awaitReady(Process p) throws IOException {
        BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        List<String> seen = new ArrayList<>();
        String line;
        while ((line = r.readLine()) != null && !line.equals("ready")) {
            seen.add(line);
        }
        assertEquals("ready", line, "probe output: " + seen);
        return r;
    }

    private static String rest(BufferedReader r) throws IOException {
        StringBuilder b = new StringBuilder();
        String line;
        while ((line = r.readLine()) != null) {
            b.append(line).append('\n');
        }
        return b.toString();
    }

    @Test
    void sighupDrainsLikeSigterm() throws Exception {
        Process p = start("");
        try {
            BufferedReader r = awaitReady(p);
            signal(p, "HUP");
            assertTrue(p.waitFor(20, TimeUnit.SECONDS), "still running after SIGHUP");
            String out = rest(r);
            assertEquals(0, p.exitValue(), out);
            assertTrue(out.contains("SIGHUP received, draining") && out.contains("drained"), out);
        } finally {
            p.destroyForcibly();
        }
    }

    /**
     * GNU timeout sends its SIGTERM to the process and then to its process group: the same stop twice within a few ms
     * drains once (the kernel may also merge the two into one: ShutdownTest checks the rule by its times); a second one
     * a moment later stops at once (exit 1), as before.
     */
    @Test
    void aSigtermSentTwiceAtOnceDrainsAndOneLaterStops() throws Exception {
        Process p = start("", "1500");
        try {
            BufferedReader r = awaitReady(p);
            assertEquals(0, new ProcessBuilder("sh", "-c", "kill -TERM " + p.pid() + "; kill -TERM " + p.pid()).start().waitFor());
            assertTrue(p.waitFor(20, TimeUnit.SECONDS), "still running after SIGTERM");
            String out = rest(r);
            assertEquals(0, p.exitValue(), out);
            assertTrue(out.contains("drained") && !out.contains("stopping now"), out);
        } finally {
            p.destroyForcibly();
        }
        Process q = start("", "5000");
        try {
            BufferedReader r = awaitReady(q);
            signal(q, "TERM");
            Thread.sleep(600);
            signal(q, "TERM");
            assertTrue(q.waitFor(20, TimeUnit.SECONDS), "still running after the second SIGTERM");
            String out = rest(r);
            assertEquals(1, q.exitValue(), out);
            assertTrue(out.contains("SIGTERM received again: stopping now") && !out.contains("drained"), out);
        } finally {
            q.destroyForcibly();
        }
    }

    @Test
    void underNohupSighupStaysIgnored() throws Exception {
        Process p = start("trap '' HUP; "); // what nohup does: the JVM inherits SIGHUP ignored
        try {
            BufferedReader r = awaitReady(p);
            signal(p, "HUP");
            assertTrue(!p.waitFor(1, TimeUnit.SECONDS), "SIGHUP ended a process started with SIGHUP ignored");
            signal(p, "TERM");
            assertTrue(p.waitFor(20, TimeUnit.SECONDS), "still running after SIGTERM");
            String out = rest(r);
            assertEquals(0, p.exitValue(), out);
            assertTrue(out.contains("SIGTERM received, draining") && !out.contains("SIGHUP"), out);
        } finally {
            p.destroyForcibly();
        }
    }
}
