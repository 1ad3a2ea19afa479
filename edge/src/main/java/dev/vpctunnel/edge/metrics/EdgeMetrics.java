package dev.vpctunnel.edge.metrics;

import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.model.registry.PrometheusRegistry;

import java.util.Map;
import java.util.UUID;
import java.util.function.IntSupplier;
import java.util.function.Supplier;

/** The edge's Prometheus metrics: fetches per binding and outcome, latency, bytes, open streams, links per tunnel. */
public final class EdgeMetrics {
    private final PrometheusRegistry registry = new PrometheusRegistry();
    private final Counter fetches = Counter.builder().name("vpc_gateway_fetches_total")
            .help("Fetches through the gateway by binding and outcome (ok, the cf-vpc-error code, or client_cancelled)")
            .labelNames("binding", "code").register(registry);
    private final Histogram duration = Histogram.builder().name("vpc_gateway_fetch_duration_seconds")
            .help("Time from the worker's request to the end of the response, by binding and outcome")
            .classicOnly()
            .classicUpperBounds(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)
            .labelNames("binding", "code").register(registry);
    private final Counter bytes = Counter.builder().name("vpc_gateway_bytes_total")
            .help("Body bytes relayed by the gateway; direction up = worker to origin, down = origin to worker")
            .labelNames("direction").register(registry);
    private final io.prometheus.metrics.core.datapoints.CounterDataPoint up = bytes.labelValues("up");
    private final io.prometheus.metrics.core.datapoints.CounterDataPoint down = bytes.labelValues("down");

    public PrometheusRegistry registry() {
        return registry;
    }

    /** When the edge's server certificate expires, for an alert well before connectors refuse it. */
    public void certificateExpiry(java.time.Instant notAfter) {
        io.prometheus.metrics.core.metrics.Gauge.builder().name("vpc_edge_certificate_expiry_timestamp_seconds")
                .help("When the edge's server certificate (DIR/edge-cert.pem) expires, seconds since the epoch")
                .register(registry).set(notAfter.getEpochSecond());
    }

    /** Gauges read at scrape time from the live links. */
    public void linkGauges(IntSupplier openStreams, Supplier<Map<UUID, Integer>> linksPerTunnel) {
        GaugeWithCallback.builder().name("vpc_tunnel_open_streams").help("Fetch streams open on this edge's links")
                .callback(cb -> cb.call(openStreams.getAsInt())).register(registry);
        GaugeWithCallback.builder().name("vpc_tunnel_links").help("Registered connector links per tunnel on this edge")
                .labelNames("tunnel_id")
                .callback(cb -> linksPerTunnel.get().forEach((t, n) -> cb.call(n, t.toString()))).register(registry);
    }

    /** Gauges read at scrape time from the gateway: the worker connections it holds, and how many it may hold. */
    public void gatewayGauges(IntSupplier open, int limit) {
        GaugeWithCallback.builder().name("vpc_gateway_connections").help("Worker connections the gateway holds")
                .callback(cb -> cb.call(open.getAsInt())).register(registry);
        GaugeWithCallback.builder().name("vpc_gateway_connections_limit")
                .help("Worker connections the gateway may hold (its share of the open-file limit); at it, the one idle"
                        + " longest is closed for a new one")
                .callback(cb -> cb.call(limit)).register(registry);
    }

    /**
     * Drops the series of bindings that no worker has any more: with workers deployed and deleted under new binding
     * names, the scrape would otherwise grow for as long as the edge runs (a soak saw 2 MB after 25 minutes of churn).
     * "-" (fetches refused before a binding was known) stays. A fetch still in flight through a deleted binding may
     * bring its series back until the next change.
     */
    public void retainBindings(java.util.Set<String> live) {
        java.util.function.Function<java.util.List<String>, Boolean> gone =
                labels -> !labels.get(0).equals("-") && !live.contains(labels.get(0));
        fetches.removeIf(gone);
        duration.removeIf(gone);
    }

    public void fetchDone(String binding, String code, double seconds) {
        fetches.labelValues(binding, code).inc();
        duration.labelValues(binding, code).observe(seconds);
    }

    public void bytesUp(long n) {
        up.inc(n);
    }

    public void bytesDown(long n) {
        down.inc(n);
    }
}
