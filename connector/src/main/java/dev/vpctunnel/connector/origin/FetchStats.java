package dev.vpctunnel.connector.origin;

import dev.vpctunnel.proto.ErrorCode;
import io.prometheus.metrics.core.datapoints.CounterDataPoint;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;

import java.util.EnumMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * What the connector's fetches came to, for its /metrics: one outcome per fetch stream (ok, the cf-vpc-error code the
 * gateway's cf-vpc-error comes from, or cancelled when the edge gave up first) and the origins' status codes, as cloudflared counts
 * requests, errors and responses by code.
 */
public final class FetchStats {
    static final String OK = "ok";
    static final String CANCELLED = "cancelled";

    private final Counter outcomes;
    private final Counter statuses;
    private final CounterDataPoint ok;
    private final CounterDataPoint cancelled;
    private final Map<ErrorCode, CounterDataPoint> failed = new EnumMap<>(ErrorCode.class);
    /** Status code 100-599 -> its data point, made on first use (label lookups are not free on the hot path). */
    private final AtomicReferenceArray<CounterDataPoint> byStatus = new AtomicReferenceArray<>(600);

    public FetchStats(PrometheusRegistry registry) {
        outcomes = Counter.builder().name("vpc_connector_fetches_total")
                .help("Fetch streams by outcome: ok, the link error code (dns_failed, connect_failed, connect_timeout, tls_failed, "
                        + "destination_denied, stream_reset, bad_request) or cancelled (the edge gave up first)")
                .labelNames("outcome").register(registry);
        statuses = Counter.builder().name("vpc_connector_responses_total")
                .help("Origin responses passed to the edge, by HTTP status code")
                .labelNames("status_code").register(registry);
        ok = outcomes.labelValues(OK);
        cancelled = outcomes.labelValues(CANCELLED);
        for (ErrorCode c : ErrorCode.values()) {
            if (c != ErrorCode.UNRECOGNIZED && c != ErrorCode.ERROR_CODE_UNSPECIFIED) {
                failed.put(c, outcomes.labelValues(c.name().toLowerCase(Locale.ROOT)));
            }
        }
    }

    /** Counts into a registry nobody reads (the connector runs without --metrics-listen, and tests). */
    static FetchStats unread() {
        return new FetchStats(new PrometheusRegistry());
    }

    void ok() {
        ok.inc();
    }

    void cancelled() {
        cancelled.inc();
    }

    void failed(ErrorCode code) {
        CounterDataPoint p = failed.get(code);
        (p != null ? p : outcomes.labelValues("error")).inc();
    }

    /** A final (non-1xx) response head went to the edge. */
    void response(int status) {
        if (status < 100 || status > 599) {
            return; // never carried (ErrorMapper.notCarried)
        }
        CounterDataPoint p = byStatus.get(status);
        if (p == null) {
            p = statuses.labelValues(Integer.toString(status));
            byStatus.compareAndSet(status, null, p);
        }
        p.inc();
    }
}
