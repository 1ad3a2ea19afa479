package dev.vpctunnel.edge.metrics;

import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class EdgeMetricsTest {
    private static String scrape(EdgeMetrics m) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        PrometheusTextFormatWriter.create().write(out, m.registry().scrape());
        return out.toString(StandardCharsets.UTF_8);
    }

    /** Series of bindings no worker has any more leave the scrape; live ones and "-" (refused before a binding) stay. */
    @Test
    void seriesOfBindingsNoWorkerHasAreDropped() throws Exception {
        EdgeMetrics m = new EdgeMetrics();
        m.fetchDone("KEPT", "ok", 0.01);
        m.fetchDone("GONE", "ok", 0.01);
        m.fetchDone("GONE", "no_connector", 0.01);
        m.fetchDone("-", "unauthorized", 0.001);
        m.retainBindings(Set.of("KEPT", "NEVER_USED"));
        String s = scrape(m);
        assertFalse(s.contains("binding=\"GONE\""), s);
        assertTrue(s.contains("vpc_gateway_fetches_total{binding=\"KEPT\",code=\"ok\"} 1"), s);
        assertTrue(s.contains("vpc_gateway_fetch_duration_seconds_count{binding=\"KEPT\",code=\"ok\"} 1"), s);
        assertTrue(s.contains("vpc_gateway_fetches_total{binding=\"-\",code=\"unauthorized\"} 1"), s);
        m.fetchDone("GONE", "ok", 0.01); // a fetch through it still in flight when it went: counted afresh
        assertTrue(scrape(m).contains("vpc_gateway_fetches_total{binding=\"GONE\",code=\"ok\"} 1"));
    }

    @Test
    void theServerCertificatesEndIsAGauge() throws Exception {
        EdgeMetrics m = new EdgeMetrics();
        java.time.Instant end = java.time.Instant.parse("2029-03-09T20:05:21Z");
        m.certificateExpiry(end);
        String s = scrape(m);
        double value = s.lines().filter(l -> l.startsWith("vpc_edge_certificate_expiry_timestamp_seconds "))
                .mapToDouble(l -> Double.parseDouble(l.split(" ")[1])).findFirst().orElse(-1);
        assertTrue(value == end.getEpochSecond(), s);
    }
}
