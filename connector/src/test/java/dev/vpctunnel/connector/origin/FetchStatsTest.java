package dev.vpctunnel.connector.origin;

import dev.vpctunnel.proto.ConnectRequest;
import dev.vpctunnel.proto.Scheme;
import io.netty.handler.codec.http2.DefaultHttp2ResetFrame;
import io.netty.handler.codec.http2.Http2Error;
import io.prometheus.metrics.model.snapshots.CounterSnapshot;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The connector's /metrics counters: one outcome per fetch stream and the origins' status codes, as they happen. */
class FetchStatsTest {
    static TestOrigin origin;
    static TestLink link;

    @BeforeAll
    static void start() throws Exception {
        origin = new TestOrigin("127.0.0.1", null);
        link = new TestLink(new OriginConfig(List.of(), List.of(), List.of("10.0.0.0/8")));
    }

    @AfterAll
    static void stop() {
        link.close();
        origin.close();
    }

    private static ConnectRequest to(String address, int port) {
        return ConnectRequest.newBuilder().addAddresses(address).setPort(port).setScheme(Scheme.HTTP)
                .setServerName("api.internal").setConnectTimeoutMs(3000).setRequestId("t").build();
    }

    /** The counter's value for one label value, 0 when it has no such data point (yet). */
    private static double count(String metric, String label, String value) {
        for (MetricSnapshot m : link.registry.scrape()) {
            if (m.getMetadata().getPrometheusName().equals(metric)) {
                for (CounterSnapshot.CounterDataPointSnapshot p : ((CounterSnapshot) m).getDataPoints()) {
                    if (value.equals(p.getLabels().get(label))) {
                        return p.getValue();
                    }
                }
            }
        }
        return 0;
    }

    /** Outcomes are counted when the stream ends, which may be a moment after the edge saw the end. */
    private static void await(String what, BooleanSupplier done) throws InterruptedException {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (!done.getAsBoolean()) {
            assertTrue(System.nanoTime() < end, what);
            Thread.sleep(10);
        }
    }

    @Test
    void eachFetchCountsOneOutcomeAndTheOriginsStatus() throws Exception {
        TestLink.Fetch hello = link.get(to("127.0.0.1", origin.port()), "/hello");
        assertEquals("hello world", hello.bodyText());
        TestLink.Fetch chunked = link.get(to("127.0.0.1", origin.port()), "/chunked");
        assertEquals("end", chunked.awaitOutcome());
        await("2 ok", () -> count("vpc_connector_fetches", "outcome", "ok") == 2);
        assertEquals(1, count("vpc_connector_responses", "status_code", "201"));
        assertEquals(1, count("vpc_connector_responses", "status_code", "200"));

        assertEquals(502, link.get(to("10.1.2.3", 80), "/").response().status().code());
        assertEquals(502, link.get(to("127.0.0.1", 1), "/").response().status().code());
        await("denied and refused", () -> count("vpc_connector_fetches", "outcome", "destination_denied") == 1
                && count("vpc_connector_fetches", "outcome", "connect_failed") == 1);

        TestLink.Fetch die = link.get(to("127.0.0.1", origin.port()), "/die");
        assertTrue(die.awaitOutcome().startsWith("reset:"));
        await("cut off", () -> count("vpc_connector_fetches", "outcome", "stream_reset") == 1);

        TestLink.Fetch hang = link.get(to("127.0.0.1", origin.port()), "/hang");
        hang.firstByte.get(10, TimeUnit.SECONDS);
        hang.channel.writeAndFlush(new DefaultHttp2ResetFrame(Http2Error.CANCEL));
        await("cancelled", () -> count("vpc_connector_fetches", "outcome", "cancelled") == 1);

        assertEquals(2, count("vpc_connector_fetches", "outcome", "ok"), "no fetch counted twice");
        assertEquals(3, count("vpc_connector_responses", "status_code", "200"), "/chunked, /die and /hang started a 200");
    }
}
