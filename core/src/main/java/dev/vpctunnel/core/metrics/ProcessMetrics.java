package dev.vpctunnel.core.metrics;

import dev.vpctunnel.core.BuildInfo;
import io.prometheus.metrics.core.metrics.Info;
import io.prometheus.metrics.instrumentation.jvm.JvmMetrics;
import io.prometheus.metrics.model.registry.PrometheusRegistry;

/**
 * What every process's /metrics carries besides its own: which build it runs ({@code vpc_build_info}, as cloudflared's
 * build_info) and the JVM's and the process's own figures (heap, GC, threads, CPU, resident memory, open files), so
 * that an operator sees a leak or a restart without attaching a tool.
 */
public final class ProcessMetrics {
    private ProcessMetrics() {
    }

    public static void register(PrometheusRegistry registry) {
        Info.builder().name("vpc_build_info").help("The build this process runs: version and commit")
                .labelNames("version", "commit").register(registry)
                .addLabelValues(BuildInfo.VERSION, BuildInfo.COMMIT.isEmpty() ? "unknown" : BuildInfo.COMMIT);
        JvmMetrics.builder().register(registry);
    }
}
