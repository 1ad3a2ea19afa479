package dev.vpctunnel.edge.cli;

import dev.vpctunnel.core.link.Durations;
import dev.vpctunnel.core.link.LinkHeartbeat;
import dev.vpctunnel.core.log.Logs;
import dev.vpctunnel.core.metrics.MetricsServer;
import dev.vpctunnel.core.metrics.Readiness;
import dev.vpctunnel.core.net.Shutdown;
import dev.vpctunnel.core.net.SystemdNotify;
import dev.vpctunnel.core.net.Transports;
import dev.vpctunnel.core.tls.CertificateExpiry;
import dev.vpctunnel.core.tls.LinkTls;
import dev.vpctunnel.core.tls.Pki;
import dev.vpctunnel.edge.api.AdminApiServer;
import dev.vpctunnel.edge.directory.Directory;
import dev.vpctunnel.edge.directory.FileAccess;
import dev.vpctunnel.edge.directory.H2Store;
import dev.vpctunnel.edge.gateway.GatewayServer;
import dev.vpctunnel.edge.link.EdgeLink;
import dev.vpctunnel.edge.link.EdgeLinkConfig;
import dev.vpctunnel.edge.link.TunnelServer;
import dev.vpctunnel.edge.metrics.EdgeMetrics;
import io.netty.channel.EventLoopGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.logging.Logger;

/** edge serve: the tunnel listener, the admin API, the worker gateway and the metrics, until SIGTERM. */
@Command(name = "serve", mixinStandardHelpOptions = true,
        description = "Run the edge: tunnel listener, admin API, worker gateway, metrics. SIGTERM drains and exits 0.")
public final class ServeCommand implements java.util.concurrent.Callable<Integer> {
    private static final Logger LOG = Logger.getLogger(ServeCommand.class.getName());

    @Option(names = "--data", paramLabel = "DIR", required = true, description = "Data directory made by 'edge init'.")
    Path data;
    @Option(names = "--store", paramLabel = "JDBC_URL",
            description = "JDBC URL of the directory store (default: the H2 file in --data), e.g. jdbc:postgresql://host/db?user=u (the password in ~/.pgpass or PGPASSFILE: not in ps)")
    String store;
    @Option(names = "--tunnel-listen", paramLabel = "ADDR:PORT", defaultValue = "0.0.0.0:7844",
            description = "Where connectors dial in (default ${DEFAULT-VALUE}).")
    String tunnelListen;
    @Option(names = "--api-listen", paramLabel = "ADDR:PORT", defaultValue = "127.0.0.1:8080",
            description = "Admin REST API (default ${DEFAULT-VALUE}).")
    String apiListen;
    @Option(names = "--gateway-listen", paramLabel = "ADDR:PORT", defaultValue = "127.0.0.1:8787",
            description = "Worker gateway (default ${DEFAULT-VALUE}).")
    String gatewayListen;
    @Option(names = "--metrics-listen", paramLabel = "ADDR:PORT", defaultValue = "127.0.0.1:9090",
            description = "Prometheus /metrics and /ready (default ${DEFAULT-VALUE}).")
    String metricsListen;
    @Option(names = "--grace-period", paramLabel = "DURATION", defaultValue = "30s",
            description = "How long SIGTERM waits for links to drain (default ${DEFAULT-VALUE}).")
    String gracePeriod;
    @Option(names = "--heartbeat-interval", paramLabel = "DURATION", defaultValue = "5s",
            description = "PING a link after this much silence, at least 100ms (default ${DEFAULT-VALUE}).")
    String heartbeatInterval;
    @Option(names = "--heartbeat-timeout", paramLabel = "DURATION", defaultValue = "15s",
            description = "Close a link silent this long (default ${DEFAULT-VALUE}).")
    String heartbeatTimeout;
    /** The longest origin connect or TLS timeout a connector honours. */
    private static final Duration MAX_ORIGIN_TIMEOUT = Duration.ofMillis(dev.vpctunnel.core.link.LinkHeaders.MAX_ORIGIN_TIMEOUT_MS);
    @Option(names = "--connect-timeout", paramLabel = "DURATION", defaultValue = "10s",
            description = "Connectors' connect timeout to origins, 1ms-5m (default ${DEFAULT-VALUE}).")
    String connectTimeout;
    @Option(names = "--tls-timeout", paramLabel = "DURATION", defaultValue = "10s",
            description = "Connectors' TLS handshake timeout to origins, 1ms-5m (default ${DEFAULT-VALUE}).")
    String tlsTimeout;
    @Option(names = "--threads", paramLabel = "N", defaultValue = "0",
            description = "Event loop threads (default: one per core).")
    int threads;
    @Option(names = "--log-level", paramLabel = "LEVEL", defaultValue = "info",
            description = "debug, info, warn or error (default ${DEFAULT-VALUE}).")
    String logLevel;
    @Option(names = "--log-format", paramLabel = "FORMAT", defaultValue = "text",
            description = "text or json (default ${DEFAULT-VALUE}).")
    String logFormat;

    @Override
    public Integer call() throws Exception {
        Logs.configure(Logs.parseFormat(logFormat), Logs.parseLevel(logLevel));
        dev.vpctunnel.core.net.AcceptFailures.process("the edge");
        if (threads < 0 || threads > 1024) {
            throw new IllegalArgumentException("--threads: must be 0-1024 (0: one per core), got " + threads);
        }
        Duration grace = Durations.parse(gracePeriod, "--grace-period");
        Duration hbInterval = Durations.parse(heartbeatInterval, "--heartbeat-interval", LinkHeartbeat.MIN_INTERVAL, Durations.MAX);
        Duration hbTimeout = Durations.parse(heartbeatTimeout, "--heartbeat-timeout");
        if (hbTimeout.compareTo(hbInterval) <= 0) {
            // A link silent for the timeout is closed; a PING only goes out after the interval, so a timeout not above
            // the interval would close healthy idle links.
            throw new IllegalArgumentException("--heartbeat-timeout: must be greater than --heartbeat-interval, got "
                    + heartbeatTimeout + " and " + heartbeatInterval);
        }
        // whole milliseconds travel to the connector, which takes at most 5 minutes
        Duration originConnect = Durations.parse(connectTimeout, "--connect-timeout", Duration.ofMillis(1), MAX_ORIGIN_TIMEOUT);
        Duration originTls = Durations.parse(tlsTimeout, "--tls-timeout", Duration.ofMillis(1), MAX_ORIGIN_TIMEOUT);
        InetSocketAddress tunnelAddr = Transports.parseListen(tunnelListen, "--tunnel-listen");
        InetSocketAddress apiAddr = Transports.parseListen(apiListen, "--api-listen");
        InetSocketAddress gatewayAddr = Transports.parseListen(gatewayListen, "--gateway-listen");
        InetSocketAddress metricsAddr = Transports.parseListen(metricsListen, "--metrics-listen");
        Path certFile = data.resolve(InitCommand.CERT);
        Path keyFile = data.resolve(InitCommand.KEY);
        boolean embedded = store == null || store.isBlank(); // the data dir's own H2 store, not --store
        java.util.Optional<String> unreadable = embedded ? FileAccess.unreadable(data, InitCommand.CERT, InitCommand.KEY, H2Store.FILE)
                : FileAccess.unreadable(data, InitCommand.CERT, InitCommand.KEY);
        if (unreadable.isPresent()) { // else an unreadable dir looks uninitialised, an unreadable store damaged
            Logs.fatal("edge serve", unreadable.get());
            return 2;
        }
        if (!Files.isRegularFile(certFile) || !Files.isRegularFile(keyFile)) {
            Logs.fatal("edge serve", data + " is not an initialised data directory; run 'edge init --data " + data + "' first");
            return 2;
        }
        List<X509Certificate> chain = Pki.readCertificates(certFile);
        PrivateKey key = Pki.readPrivateKey(keyFile);
        warnIfExpiring(chain.get(0));
        if (embedded && !Files.isRegularFile(data.resolve(H2Store.FILE))) {
            // H2 would create an empty store: every tunnel unknown, every connector refused for good
            Logs.fatal("edge serve", data + " has no directory store (" + H2Store.FILE + " is missing): restore it"
                    + " from a backup; without it the tunnels, services, workers and tokens are gone");
            return 2;
        }
        Shutdown shutdown = new Shutdown().install();
        Directory directory;
        try {
            if (embedded) {
                H2Store.compact(data).ifPresent(LOG::warning); // the file grows by every write (see H2Store)
            }
            directory = Directory.open(data, store);
        } catch (java.sql.SQLException | RuntimeException e) {
            String why = e.getMessage() != null && e.getMessage().contains("already in use")
                    ? "the directory in " + data + " is in use by another edge process" : String.valueOf(e.getMessage());
            Logs.fatal("edge serve", "cannot open the directory store: " + why.lines().findFirst().orElse(why));
            return 2;
        }
        if (embedded) {
            // H2 opens a store it may not write read-only: reads, links and fetches go on, API writes fail until it is
            // writable again (then the next write reopens it), so a warning rather than a refusal
            FileAccess.unwritable(data.resolve(H2Store.FILE)).ifPresent(why -> LOG.warning(why + ": the edge serves"
                    + " what the store holds, but every API write fails (503 'directory store unavailable') until the"
                    + " file is writable; no restart needed then"));
        }
        if (!directory.data().hasAnyAccount()) {
            directory.close();
            Logs.fatal("edge serve", "the directory store " + (embedded ? "in " + data : "at --store")
                    + " holds no account: it was never initialised or lost its contents (restore it from a backup, or run"
                    + " 'edge init' to start a new, empty account)");
            return 2;
        }
        try {
            return serve(directory, shutdown, grace, hbInterval, hbTimeout, originConnect, originTls, tunnelAddr, apiAddr,
                    gatewayAddr, metricsAddr, key, chain);
        } catch (io.netty.channel.ChannelException | java.io.IOException e) {
            Logs.fatal("edge serve", "cannot listen: " + e.getMessage());
            directory.close();
            return 2;
        }
    }

    private int serve(Directory directory, Shutdown shutdown, Duration grace, Duration hbInterval, Duration hbTimeout,
                      Duration originConnect, Duration originTls, InetSocketAddress tunnelAddr, InetSocketAddress apiAddr, InetSocketAddress gatewayAddr,
                      InetSocketAddress metricsAddr, PrivateKey key, List<X509Certificate> chain) throws Exception {
        directory.startRefresh(Duration.ofSeconds(2));
        EventLoopGroup group = Transports.group(threads, "edge");
        ExecutorService blocking = Executors.newFixedThreadPool(4, r -> {
            Thread t = new Thread(r, "edge-api-store");
            t.setDaemon(true);
            return t;
        });
        String edgeId = edgeId(tunnelAddr);
        EdgeLinkConfig linkConfig = EdgeLinkConfig.defaults(edgeId, LinkTls.server(key, chain)).withHeartbeat(hbInterval, hbTimeout);
        TunnelServer tunnels = new TunnelServer(linkConfig, directory::tunnelSecret, group);
        // a deleted tunnel's connectors lose their links at once (their next registration is refused)
        directory.onChange(d -> tunnels.router().closeTunnelsNotIn(id -> d.tunnel(id).isPresent()));
        EdgeMetrics metrics = new EdgeMetrics();
        metrics.certificateExpiry(chain.get(0).getNotAfter().toInstant());
        dev.vpctunnel.core.metrics.ProcessMetrics.register(metrics.registry());
        group.scheduleAtFixedRate(() -> warnIfExpiring(chain.get(0)), 1, 1, java.util.concurrent.TimeUnit.DAYS);
        directory.onChange(d -> metrics.retainBindings(d.bindingNames())); // deleted workers' series go
        metrics.linkGauges(() -> tunnels.router().all().stream().mapToInt(EdgeLink::openStreams).sum(),
                () -> { // 0 for a tunnel whose connectors are all gone; nothing for a deleted one
                    Map<UUID, Integer> counts = tunnels.router().countsByTunnel();
                    var now = directory.snapshot();
                    counts.keySet().removeIf(id -> now.tunnel(id).isEmpty());
                    return counts;
                });
        Listeners started = new Listeners(group);
        started.add(tunnels::close);
        started.start("--tunnel-listen", tunnelAddr, () -> tunnels.bind(tunnelAddr));
        LOG.info(() -> "tunnel listener ready on " + at(tunnelAddr, tunnels.port()) + " (edge " + edgeId + ")");
        AdminApiServer api = started.start("--api-listen", apiAddr,
                () -> AdminApiServer.start(apiAddr, directory, tunnels.router(), blocking));
        started.add(api::close);
        LOG.info(() -> "admin API ready on http://" + at(apiAddr, api.port()));
        inClear("--api-listen", apiAddr, "API tokens").ifPresent(LOG::warning);
        GatewayServer gateway = started.start("--gateway-listen", gatewayAddr,
                () -> GatewayServer.start(gatewayAddr, group, directory::snapshot, tunnels.router(), metrics,
                        originConnect, originTls));
        started.add(gateway::close);
        LOG.info(() -> "worker gateway ready on " + at(gatewayAddr, gateway.port()) + " (up to " + gateway.maxConnections()
                + " worker connections)");
        inClear("--gateway-listen", gatewayAddr, "workers' gateway tokens, requests and responses").ifPresent(LOG::warning);
        MetricsServer metricsServer = started.start("--metrics-listen", metricsAddr,
                // ready until SIGTERM: while draining, the gateway and the tunnel listener take nothing new
                () -> MetricsServer.start(metricsAddr, group, metrics.registry(), () -> new Readiness(!shutdown.requested(),
                        (int) tunnels.router().all().stream().filter(EdgeLink::usable).count(), "edgeId", edgeId)));
        LOG.info(() -> "metrics ready on http://" + at(metricsAddr, metricsServer.port()) + "/metrics");
        SystemdNotify systemd = SystemdNotify.fromEnvironment(group); // Type=notify: every listener is bound
        systemd.ready("serving: tunnel " + at(tunnelAddr, tunnels.port()) + ", api " + at(apiAddr, api.port())
                + ", gateway " + at(gatewayAddr, gateway.port()) + ", metrics " + at(metricsAddr, metricsServer.port()));

        shutdown.await();
        systemd.stopping("draining " + tunnels.router().all().size() + " links");
        gateway.close();
        tunnels.drain(grace);
        api.close();
        metricsServer.close();
        directory.close();
        systemd.close();
        group.shutdownGracefully(0, 2, TimeUnit.SECONDS).await(5, TimeUnit.SECONDS);
        LOG.info("edge stopped");
        return 0;
    }

    private static java.io.IOException listenFailure(String flag, InetSocketAddress addr, Exception e) {
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root && root.getMessage() == null) {
            root = root.getCause();
        }
        String why = addr.isUnresolved() || root instanceof java.nio.channels.UnresolvedAddressException
                ? "cannot resolve host '" + addr.getHostString() + "' (give an address of this machine)"
                : root.getMessage() != null ? dev.vpctunnel.core.net.NativeErrors.text(root.getMessage())
                : root.getClass().getSimpleName();
        return new java.io.IOException(flag + " " + addr.getHostString() + ":" + addr.getPort() + ": " + why, e);
    }

    /** What was started so far, closed in reverse when a later listener cannot start. */
    private static final class Listeners {
        private final java.util.ArrayDeque<Runnable> closers = new java.util.ArrayDeque<>();
        private final EventLoopGroup group;

        Listeners(EventLoopGroup group) {
            this.group = group;
        }

        void add(Runnable r) {
            closers.push(r);
        }

        /** Runs start; when it fails, closes what was started and throws the listen failure of flag and addr. */
        <T> T start(String flag, InetSocketAddress addr, java.util.concurrent.Callable<T> start) throws java.io.IOException {
            try {
                return start.call();
            } catch (Exception e) {
                closeAll();
                throw listenFailure(flag, addr, e);
            }
        }

        void closeAll() {
            while (!closers.isEmpty()) {
                closers.pop().run();
            }
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
        }
    }



    private static String edgeId(InetSocketAddress tunnelAddr) {
        String host;
        try {
            host = InetAddress.getLocalHost().getHostName();
        } catch (java.io.IOException e) {
            host = "edge";
        }
        return host + ":" + tunnelAddr.getPort();
    }

    /**
     * The warning for a plain-HTTP listener (the admin API, the worker gateway) on an address other machines may reach:
     * what it carries crosses the network unencrypted. None on loopback, where the defaults put both.
     */
    static java.util.Optional<String> inClear(String flag, InetSocketAddress addr, String carried) {
        InetAddress a = addr.getAddress();
        if (a == null || a.isLoopbackAddress()) {
            return java.util.Optional.empty();
        }
        return java.util.Optional.of(flag + " " + io.netty.util.NetUtil.toSocketAddressString(addr)
                + " is reachable from other machines and speaks plain HTTP: " + carried + " cross the network unencrypted; keep it on 127.0.0.1 (the default), or put"
                + " it on a trusted network or behind a TLS proxy");
    }

    /** HOST:PORT as a URL writes it: an IPv6 address in brackets. */
    private static String at(InetSocketAddress addr, int port) {
        return io.netty.util.NetUtil.toSocketAddressString(addr.getHostString(), port);
    }


    /** From 30 days before the server certificate ends (825 days after 'edge init'): a warning saying how to renew it. */
    private void warnIfExpiring(X509Certificate leaf) {
        CertificateExpiry.near(leaf, java.time.Instant.now()).ifPresent(when -> LOG.warning(() -> "the edge's certificate "
                + data.resolve(InitCommand.CERT) + " " + when + "; connectors refuse it once it has expired. To renew it:"
                + " stop the edge, move " + InitCommand.CERT + " and " + InitCommand.KEY + " out of " + data + ", run 'edge"
                + " init --data " + data + "' with the same --san names (the CA stays: connectors keep trusting it), start"
                + " the edge again"));
    }
}
