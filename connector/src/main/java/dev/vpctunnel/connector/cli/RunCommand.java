package dev.vpctunnel.connector.cli;

import dev.vpctunnel.connector.link.LinkConfig;
import dev.vpctunnel.connector.link.LinkSupervisor;
import dev.vpctunnel.connector.origin.FetchStats;
import dev.vpctunnel.connector.origin.OriginConfig;
import dev.vpctunnel.connector.origin.OriginService;
import dev.vpctunnel.core.BuildInfo;
import dev.vpctunnel.core.link.LinkHeaders;
import dev.vpctunnel.core.link.TunnelToken;
import dev.vpctunnel.core.log.Logs;
import dev.vpctunnel.core.metrics.MetricsServer;
import dev.vpctunnel.core.metrics.Readiness;
import dev.vpctunnel.core.net.Shutdown;
import dev.vpctunnel.core.net.SystemdNotify;
import dev.vpctunnel.core.net.Transports;
import dev.vpctunnel.core.tls.LinkTls;
import dev.vpctunnel.core.tls.Pki;
import io.netty.channel.EventLoopGroup;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.logging.Logger;

/** connector run: keeps the links up and serves the edge's fetches until SIGTERM, then drains and exits 0. */
@Command(name = "run", mixinStandardHelpOptions = true, description = "Connect to the edges and serve fetches.",
        footer = {"%nEach flag but --config can be set by the environment variable shown as [$NAME], as for cloudflared:"
                + " a list comma-separated, an empty variable unset. A flag wins over its variable, a variable over"
                + " the --config file."})
public final class RunCommand implements Callable<Integer> {
    private static final Logger LOG = Logger.getLogger(RunCommand.class.getName());

    @Option(names = "--config", paramLabel = "FILE",
            description = "YAML file with the same keys as these flags (edges, edge-ca, token-file, ...); flags and their"
                    + " environment variables override it.")
    Path configFile;
    @Option(names = "--token", paramLabel = "TUNNEL_TOKEN",
            description = "Tunnel token (shows in ps and shell history: prefer --token-file or the variable). [$" + RunEnv.TOKEN + "]")
    String token;
    @Option(names = "--token-file", paramLabel = "FILE", description = "File holding the tunnel token (chmod 600). [$" + RunEnv.TOKEN_FILE + "]")
    Path tokenFile;
    @Option(names = "--edge", split = ",", paramLabel = "HOST:PORT",
            description = "Edge tunnel address HOST:PORT; several, comma-separated or repeated. [$" + RunEnv.EDGE + "]")
    List<String> edges = new ArrayList<>();
    @Option(names = "--edge-ca", paramLabel = "FILE",
            description = "PEM file of the edge CA (DIR/edge-ca.pem from 'edge init'). [$" + RunEnv.EDGE_CA + "]")
    Path edgeCa;
    @Option(names = "--ha-connections", paramLabel = "N", description = "Links to keep up (default 4). [$" + RunEnv.HA_CONNECTIONS + "]")
    Integer haConnections;
    @Option(names = "--origin-ca", arity = "1..*", paramLabel = "FILE",
            description = "Extra PEM CA(s) trusted for https origins; several after one flag, or repeated. [$"
                    + RunEnv.ORIGIN_CA + "]")
    List<Path> originCas = new ArrayList<>();
    @Option(names = "--allow", split = ",", arity = "1..*", paramLabel = "CIDR",
            description = "Only these CIDRs may be dialed; several after one flag, comma-separated or repeated. [$"
                    + RunEnv.ALLOW + "]")
    List<String> allow = new ArrayList<>();
    @Option(names = "--deny", split = ",", arity = "1..*", paramLabel = "CIDR",
            description = "These CIDRs are never dialed (wins over --allow); several, comma-separated or repeated. [$"
                    + RunEnv.DENY + "]")
    List<String> deny = new ArrayList<>();
    @Option(names = "--metrics-listen", paramLabel = "ADDR:PORT",
            description = "Serve /metrics and /ready here, e.g. 127.0.0.1:20241. [$" + RunEnv.METRICS + "]")
    String metricsListen;
    @Option(names = "--grace-period", paramLabel = "DURATION",
            description = "How long SIGTERM lets streams finish (default 30s). [$" + RunEnv.GRACE_PERIOD + "]")
    String gracePeriod;
    @Option(names = "--heartbeat-interval", paramLabel = "DURATION",
            description = "PING a link after this much silence, at least 100ms (default 5s). [$" + RunEnv.HEARTBEAT_INTERVAL + "]")
    String heartbeatInterval;
    @Option(names = "--heartbeat-timeout", paramLabel = "DURATION",
            description = "Replace a link silent this long (default 15s). [$" + RunEnv.HEARTBEAT_TIMEOUT + "]")
    String heartbeatTimeout;
    @Option(names = "--threads", paramLabel = "N", description = "Event loop threads (default: one per core). [$" + RunEnv.THREADS + "]")
    Integer threads;
    @Option(names = "--log-level", paramLabel = "LEVEL", description = "debug, info, warn or error (default info). [$" + RunEnv.LOG_LEVEL + "]")
    String logLevel;
    @Option(names = "--log-format", paramLabel = "FORMAT", description = "text or json (default text). [$" + RunEnv.LOG_FORMAT + "]")
    String logFormat;

    /** The process environment; tests give their own (RunEnv). */
    private final Function<String, String> env;

    public RunCommand() {
        this(System::getenv);
    }

    RunCommand(Function<String, String> env) {
        this.env = env;
    }

    @Override
    public Integer call() throws Exception {
        RunSettings s = null;
        TunnelToken t;
        LinkConfig linkConfig;
        try {
            s = RunSettings.resolve(this, env);
            Logs.configure(s.logFormat(), s.logLevel());
            dev.vpctunnel.core.net.AcceptFailures.process("the connector");
            s.warnings().forEach(LOG::warning);
            t = TokenSource.resolve(s.token(), s.tokenFile(), s.tokenFileLabel(), new RunEnv(env).get(RunEnv.TOKEN));
            linkConfig = new LinkConfig(t, s.edges(), LinkTls.client(Pki.readCertificates(s.edgeCa(), s.edgeCaLabel())), s.haConnections(),
                    UUID.randomUUID().toString(), BuildInfo.full(), s.heartbeatInterval(), s.heartbeatTimeout(),
                    Duration.ofSeconds(10), LinkHeaders.MAX_CONCURRENT_STREAMS);
        } catch (IllegalArgumentException e) {
            Logs.fatal("connector", e.getMessage());
            return 2;
        } catch (javax.net.ssl.SSLException e) {
            Logs.fatal("connector", (s == null ? "--edge-ca" : s.edgeCaLabel()) + ": cannot use it: " + e.getMessage());
            return 2;
        }
        Duration grace = s.gracePeriod();
        String metricsListen = s.metricsListen();
        Shutdown shutdown = new Shutdown().install();
        EventLoopGroup group = Transports.group(s.threads(), "connector");
        PrometheusRegistry registry = new PrometheusRegistry();
        OriginService origins;
        try {
            origins = new OriginService(new OriginConfig(s.originCas(), s.originCaLabel(), s.allow(), s.deny()), group, new FetchStats(registry));
        } catch (IllegalArgumentException e) {
            Logs.fatal("connector", e.getMessage());
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
            return 2;
        }
        LinkSupervisor links = new LinkSupervisor(linkConfig, group, origins::newStreamHandler);
        MetricsServer metrics = null;
        if (metricsListen != null) {
            dev.vpctunnel.core.metrics.ProcessMetrics.register(registry);
            GaugeWithCallback.builder().name("vpc_connector_links").help("Links registered with an edge")
                    .callback(cb -> cb.call(links.registeredLinks())).register(registry);
            GaugeWithCallback.builder().name("vpc_connector_active_streams").help("Fetch streams in flight")
                    .callback(cb -> cb.call(links.activeStreams())).register(registry);
            try {
                metrics = MetricsServer.start(RunSettings.listenAddress(metricsListen, s.metricsListenLabel()), group, registry,
                        () -> { // a draining link was unregistered: it takes no new fetch
                            int serving = links.servingLinks();
                            return new Readiness(serving > 0, serving, "connectorId", links.connectorId());
                        });
            } catch (Exception e) { // BindException and the like come out of Netty's sync() undeclared
                String why = e.getMessage() == null ? e.getClass().getSimpleName()
                        : e.getMessage().replaceFirst("^bind\\(\\.\\.\\) failed( with error\\(-?\\d+\\))?: ", ""); // Netty's native prefix
                Logs.fatal("connector", s.metricsListenLabel() + " " + metricsListen + ": cannot listen: " + why);
                origins.close();
                group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
                // a port in use may be free in a moment (the previous process still exiting): 1, which systemd's unit
                // restarts; an address this machine does not have, or a port it may not take, is the configuration: 2
                return why.contains("already in use") ? 1 : 2;
            }
            int port = metrics.port();
            LOG.info(() -> "metrics ready on http://" + metricsListen.replaceAll(":\\d+$", "") + ":" + port + "/metrics");
        }
        SystemdNotify systemd = SystemdNotify.fromEnvironment(group); // Type=notify: deploy/connector.service
        SystemdLinks told = new SystemdLinks(systemd, links::servingLinks, s.haConnections(), SystemdLinks.EVERY).start(group);
        links.start();
        links.permanentFailure().thenRun(shutdown::request);
        shutdown.await();
        int code = 0;
        var stopping = told.stopping(links.permanentFailure().isDone() ? "stopping: the edge refused this connector"
                : "draining " + links.servingLinks() + " links, " + links.activeStreams() + " streams in flight");
        if (links.permanentFailure().isDone()) {
            Logs.fatal("connector", "the edge refused this connector permanently: " + links.permanentFailure().getNow(""));
            links.stop();
            links.awaitClosed();
            code = 1;
        } else {
            links.drain(grace);
        }
        if (metrics != null) {
            metrics.close();
        }
        origins.close();
        try {
            stopping.get(1, TimeUnit.SECONDS); // sent before its socket closes
        } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
            // SystemdNotify logged a failed send; a loop that never ran it: systemd sees the process end anyway
        }
        systemd.close();
        group.shutdownGracefully(0, 2, TimeUnit.SECONDS).await(5, TimeUnit.SECONDS);
        return code;
    }
}
