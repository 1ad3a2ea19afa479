package dev.vpctunnel.connector.cli;

import dev.vpctunnel.connector.link.LinkConfig;
import dev.vpctunnel.connector.link.LinkSupervisor;
import dev.vpctunnel.connector.origin.OriginConfig;
import dev.vpctunnel.connector.origin.OriginService;
import dev.vpctunnel.core.BuildInfo;
import dev.vpctunnel.core.link.Durations;
import dev.vpctunnel.core.link.LinkHeaders;
import dev.vpctunnel.core.link.TunnelToken;
import dev.vpctunnel.core.log.Logs;
import dev.vpctunnel.core.metrics.MetricsServer;
import dev.vpctunnel.core.net.Shutdown;
import dev.vpctunnel.core.net.Transports;
import dev.vpctunnel.core.tls.LinkTls;
import dev.vpctunnel.core.tls.Pki;
import io.netty.channel.EventLoopGroup;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.logging.Logger;

/** connector run: keeps the links up and serves the edge's fetches until SIGTERM, then drains and exits 0. */
@Command(name = "run", mixinStandardHelpOptions = true, description = "Connect to the edges and serve fetches.")
public final class RunCommand implements Callable<Integer> {
    private static final Logger LOG = Logger.getLogger(RunCommand.class.getName());

    @Option(names = "--token", description = "Tunnel token (shows in ps and shell history: prefer --token-file or TUNNEL_TOKEN).")
    String token;
    @Option(names = "--token-file", description = "File holding the tunnel token (chmod 600).")
    Path tokenFile;
    @Option(names = "--edge", split = ",", description = "Edge tunnel address HOST:PORT; several, comma-separated or repeated.")
    List<String> edges = new ArrayList<>();
    @Option(names = "--edge-ca", description = "PEM file of the edge CA (DIR/edge-ca.pem from 'edge init').")
    Path edgeCa;
    @Option(names = "--ha-connections", defaultValue = "4", description = "Links to keep up (default ${DEFAULT-VALUE}).")
    int haConnections;
    @Option(names = "--origin-ca", description = "Extra PEM CA(s) trusted for https origins; repeatable.")
    List<Path> originCas = new ArrayList<>();
    @Option(names = "--allow", split = ",", description = "Only these CIDRs may be dialed; repeatable.")
    List<String> allow = new ArrayList<>();
    @Option(names = "--deny", split = ",", description = "These CIDRs are never dialed (wins over --allow); repeatable.")
    List<String> deny = new ArrayList<>();
    @Option(names = "--metrics-listen", description = "Serve /metrics and /ready here, e.g. 127.0.0.1:20241.")
    String metricsListen;
    @Option(names = "--grace-period", defaultValue = "30s", description = "How long SIGTERM lets streams finish (default ${DEFAULT-VALUE}).")
    String gracePeriod;
    @Option(names = "--heartbeat-interval", defaultValue = "5s", description = "PING a link after this much silence (default ${DEFAULT-VALUE}).")
    String heartbeatInterval;
    @Option(names = "--heartbeat-timeout", defaultValue = "15s", description = "Replace a link silent this long (default ${DEFAULT-VALUE}).")
    String heartbeatTimeout;
    @Option(names = "--threads", defaultValue = "0", description = "Event loop threads (default: one per core).")
    int threads;
    @Option(names = "--log-level", defaultValue = "info", description = "debug, info, warn or error (default ${DEFAULT-VALUE}).")
    String logLevel;
    @Option(names = "--log-format", defaultValue = "text", description = "text or json (default ${DEFAULT-VALUE}).")
    String logFormat;

    @Override
    public Integer call() throws Exception {
        Logs.configure(Logs.parseFormat(logFormat), Logs.parseLevel(logLevel));
        TunnelToken t;
        List<InetSocketAddress> edgeAddrs = new ArrayList<>();
        Duration grace;
        LinkConfig linkConfig;
        try {
            t = TokenSource.resolve(token, tokenFile, System.getenv(TokenSource.ENV));
            if (edges.isEmpty()) {
                throw new IllegalArgumentException("--edge HOST:PORT is required");
            }
            for (String e : edges) {
                edgeAddrs.add(Transports.parseHostPort(e, "--edge"));
            }
            if (edgeCa == null) {
                throw new IllegalArgumentException("--edge-ca FILE is required (the edge's DIR/edge-ca.pem)");
            }
            grace = Durations.parse(gracePeriod, "--grace-period");
            linkConfig = new LinkConfig(t, edgeAddrs, LinkTls.client(Pki.readCertificates(edgeCa)), haConnections,
                    UUID.randomUUID().toString(), BuildInfo.VERSION, Durations.parse(heartbeatInterval, "--heartbeat-interval"),
                    Durations.parse(heartbeatTimeout, "--heartbeat-timeout"), Duration.ofSeconds(10), LinkHeaders.MAX_CONCURRENT_STREAMS);
        } catch (IllegalArgumentException | java.io.IOException e) {
            System.err.println("connector: " + e.getMessage());
            return 2;
        }
        Shutdown shutdown = new Shutdown().install();
        EventLoopGroup group = Transports.group(threads, "connector");
        OriginService origins;
        try {
            origins = new OriginService(new OriginConfig(originCas, allow, deny), group);
        } catch (IllegalArgumentException e) {
            System.err.println("connector: " + e.getMessage());
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
            return 2;
        }
        LinkSupervisor links = new LinkSupervisor(linkConfig, group, origins::newStreamHandler);
        MetricsServer metrics = null;
        if (metricsListen != null) {
            PrometheusRegistry registry = new PrometheusRegistry();
            GaugeWithCallback.builder().name("vpc_connector_links").help("Links registered with an edge")
                    .callback(cb -> cb.call(links.registeredLinks())).register(registry);
            GaugeWithCallback.builder().name("vpc_connector_active_streams").help("Fetch streams in flight")
                    .callback(cb -> cb.call(links.activeStreams())).register(registry);
            metrics = MetricsServer.start(Transports.parseListen(metricsListen, "--metrics-listen"), group, registry,
                    () -> links.registeredLinks() > 0);
            int port = metrics.port();
            LOG.info(() -> "metrics ready on http://" + metricsListen.replaceAll(":\\d+$", "") + ":" + port + "/metrics");
        }
        links.start();
        links.permanentFailure().thenRun(shutdown::request);
        shutdown.await();
        int code = 0;
        if (links.permanentFailure().isDone()) {
            System.err.println("connector: the edge refused this connector permanently: " + links.permanentFailure().getNow(""));
            links.stop();
            code = 1;
        } else {
            links.drain(grace);
        }
        if (metrics != null) {
            metrics.close();
        }
        origins.close();
        group.shutdownGracefully(0, 2, TimeUnit.SECONDS).await(5, TimeUnit.SECONDS);
        return code;
    }
}
