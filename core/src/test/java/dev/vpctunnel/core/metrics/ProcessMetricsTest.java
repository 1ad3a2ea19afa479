package dev.vpctunnel.core.metrics;

import dev.vpctunnel.core.BuildInfo;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The build a process runs and the JVM's own figures are on every /metrics. */
class ProcessMetricsTest {
    /** The checkout this test runs in, if it is one: the commit the build must have recorded. */
    private static String headCommit() throws Exception {
        Path root = Path.of("").toAbsolutePath().getParent(); // surefire runs in the module's directory
        if (!Files.exists(root.resolve(".git"))) {
            return "";
        }
        Process git;
        try {
            git = new ProcessBuilder("git", "-C", root.toString(), "rev-parse", "--short=7", "HEAD").redirectErrorStream(true).start();
        } catch (java.io.IOException noGit) {
            return null; // no git command: the build could not ask either
        }
        String out = new String(git.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        return git.waitFor(30, TimeUnit.SECONDS) && git.exitValue() == 0 ? out : null; // e.g. a checkout git refuses (safe.directory)
    }

    @Test
    void buildInfoNamesTheCommitAndTheJvmFiguresAreThere() throws Exception {
        String head = headCommit();
        org.junit.jupiter.api.Assumptions.assumeTrue(head != null, "git cannot tell this checkout's commit");
        assertEquals(head, BuildInfo.COMMIT, "the commit the build recorded");
        PrometheusRegistry registry = new PrometheusRegistry();
        ProcessMetrics.register(registry);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        PrometheusTextFormatWriter.create().write(out, registry.scrape());
        String s = out.toString(StandardCharsets.UTF_8);
        assertTrue(s.contains("vpc_build_info{commit=\"" + (head.isEmpty() ? "unknown" : head) + "\",version=\""
                + BuildInfo.VERSION + "\"} 1"), s);
        for (String series : new String[] {"jvm_memory_used_bytes{area=\"heap\"}", "jvm_threads_current ",
                "process_cpu_seconds_total ", "process_resident_memory_bytes ", "process_open_fds "}) {
            assertTrue(s.contains("\n" + series), series + " in " + s);
        }
        assertTrue(BuildInfo.full().startsWith(BuildInfo.VERSION + (head.isEmpty() ? "" : "+" + head)), BuildInfo.full());
    }
}
