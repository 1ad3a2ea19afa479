package dev.vpctunnel.edge.gateway;

import dev.vpctunnel.edge.directory.DirectorySnapshot;
import dev.vpctunnel.edge.directory.NetworkBinding;
import dev.vpctunnel.edge.directory.ServiceBinding;
import dev.vpctunnel.edge.directory.ServiceRecord;
import dev.vpctunnel.edge.directory.TunnelRecord;
import dev.vpctunnel.edge.directory.WorkerRecord;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.handler.codec.http.HttpVersion;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import java.net.InetAddress;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/** The per-fetch work of the gateway before any byte goes to a link: URL parsing, routing, the tunnel request head. */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class GatewayBench {
    private static final String ACCOUNT = "acct";
    private final UUID tunnel = UUID.randomUUID();
    private final UUID serviceId = UUID.randomUUID();
    private FetchRouter router;
    private DirectorySnapshot dir;
    private WorkerRecord worker;
    private ServiceBinding service;
    private NetworkBinding network;
    private HttpRequest originForm;
    private HttpRequest absoluteForm;
    private FetchUrl url;
    private byte[] connect;

    @Setup
    public void setup() throws Exception {
        router = new FetchRouter(10_000, 10_000);
        TunnelRecord tun = new TunnelRecord(tunnel, ACCOUNT, "bench", new byte[32], Instant.now());
        ServiceRecord svc = new ServiceRecord(serviceId, ACCOUNT, "web", 8080, 8443, "10.0.0.5", null, null, tunnel,
                List.of(), Instant.now(), Instant.now());
        service = new ServiceBinding("WEB", serviceId);
        network = new NetworkBinding("NET", tunnel);
        worker = new WorkerRecord(ACCOUNT, "bench", Map.of("WEB", service, "NET", network));
        dir = new DirectorySnapshot() {
            public Optional<TunnelRecord> tunnel(UUID id) { return id.equals(tunnel) ? Optional.of(tun) : Optional.empty(); }
            public Optional<WorkerRecord> workerByGatewayToken(String token) { return Optional.of(worker); }
            public Optional<ServiceRecord> service(UUID id) { return id.equals(serviceId) ? Optional.of(svc) : Optional.empty(); }
            public Optional<UUID> routeTunnel(String accountId, InetAddress address) { return Optional.of(tunnel); }
            public Optional<UUID> hostnameRouteTunnel(String accountId, String hostname) { return Optional.of(tunnel); }
        };
        originForm = request("/api/v1/items?id=42&sort=asc");
        originForm.headers().set("host", "api.internal").set("cf-vpc-scheme", "http");
        absoluteForm = request("https://api.internal:9999/api/v1/items?id=42&sort=asc");
        url = FetchUrl.parse(originForm);
        connect = router.route(dir, worker, service, url, "1a2b").connect().toByteArray();
    }

    private static HttpRequest request(String target) {
        HttpRequest r = new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, target);
        r.headers().set("proxy-authorization", "Bearer gw_0123456789abcdef0123456789abcdef0123456789a")
                .set("cf-vpc-binding", "WEB").set("user-agent", "bench/1.0").set("accept", "*/*")
                .set("accept-encoding", "gzip, br").set("x-request-id", "4bf92f3577b34da6a3ce929d0e0e4736");
        return r;
    }

    @Benchmark
    public FetchUrl parseOriginForm() throws FetchException {
        return FetchUrl.parse(originForm);
    }

    @Benchmark
    public FetchUrl parseAbsoluteForm() throws FetchException {
        return FetchUrl.parse(absoluteForm);
    }

    @Benchmark
    public FetchRouter.Route routeService() throws FetchException {
        return router.route(dir, worker, service, url, "1a2b");
    }

    @Benchmark
    public FetchRouter.Route routeNetwork() throws FetchException {
        return router.route(dir, worker, network, url, "1a2b");
    }

    /** Everything FetchHandler.start does per request before the link: token, binding, URL, route, tunnel head. */
    @Benchmark
    public Http2Headers parseRouteAndHead() throws FetchException {
        String token = RequestHeaders.bearer(originForm);
        WorkerRecord w = dir.workerByGatewayToken(token).orElseThrow();
        FetchUrl u = FetchUrl.parse(originForm);
        FetchRouter.Route r = router.route(dir, w, w.bindings().get(originForm.headers().get(RequestHeaders.BINDING)), u, "1a2b");
        return RequestHeaders.forTunnel(originForm, u.pathAndQuery(), r.hostHeader(), r.connect().toByteArray(), r.requestId());
    }

    @Benchmark
    public Http2Headers forTunnel() {
        return RequestHeaders.forTunnel(originForm, url.pathAndQuery(), "api.internal", connect, "1");
    }
}
