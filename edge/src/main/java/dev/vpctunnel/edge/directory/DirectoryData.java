package dev.vpctunnel.edge.directory;

import dev.vpctunnel.core.net.Ipv4Mapped;

import java.net.InetAddress;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/** The immutable in-memory directory: what the gateway and the admin API read. */
public final class DirectoryData implements DirectorySnapshot {
    static final DirectoryData EMPTY = new DirectoryData(-1, List.of(), List.of(), List.of(), List.of(), List.of(),
            List.of(), List.of(), Map.of());

    private final long version;
    private final List<String> accounts;
    private final Map<String, ApiTokenRecord> tokensByHash = new HashMap<>();
    private final Map<UUID, TunnelRecord> tunnels = new HashMap<>();
    private final Map<UUID, ServiceRecord> services = new HashMap<>();
    private final Map<String, List<RouteRecord>> routesByAccount = new HashMap<>();
    private final Map<String, List<HostnameRouteRecord>> hostRoutesByAccount = new HashMap<>();
    private final Map<String, WorkerRecord> workers = new HashMap<>();
    private final Map<String, String> workerByTokenHash;
    private final List<ApiTokenRecord> tokenList;
    private final List<TunnelRecord> tunnelList;
    private final List<ServiceRecord> serviceList;
    private final List<RouteRecord> routeList;
    private final List<HostnameRouteRecord> hostRouteList;
    private final List<WorkerRecord> workerList;

    /** Lists in creation order; workerTokens maps the hex SHA-256 of a gateway token to "account/worker". */
    DirectoryData(long version, List<String> accounts, List<ApiTokenRecord> tokens, List<TunnelRecord> tunnels,
                  List<ServiceRecord> services, List<RouteRecord> routes, List<HostnameRouteRecord> hostRoutes,
                  List<WorkerRecord> workers, Map<String, String> workerTokens) {
        this.version = version;
        this.accounts = List.copyOf(accounts);
        this.tokenList = List.copyOf(tokens);
        this.tunnelList = List.copyOf(tunnels);
        this.serviceList = List.copyOf(services);
        this.routeList = List.copyOf(routes);
        this.hostRouteList = List.copyOf(hostRoutes);
        this.workerList = List.copyOf(workers);
        this.workerByTokenHash = Map.copyOf(workerTokens);
        tokens.forEach(t -> tokensByHash.put(java.util.HexFormat.of().formatHex(t.hash()), t));
        tunnels.forEach(t -> this.tunnels.put(t.id(), t));
        services.forEach(s -> this.services.put(s.id(), s));
        for (RouteRecord r : routes) {
            routesByAccount.computeIfAbsent(r.accountId(), k -> new ArrayList<>()).add(r);
        }
        routesByAccount.values().forEach(l -> l.sort(Comparator.comparingInt((RouteRecord r) -> -r.network().prefix())));
        for (HostnameRouteRecord r : hostRoutes) {
            hostRoutesByAccount.computeIfAbsent(r.accountId(), k -> new ArrayList<>()).add(r);
        }
        workers.forEach(w -> this.workers.put(key(w.accountId(), w.name()), w));
    }

    private static String key(String account, String name) {
        return account + "/" + name;
    }

    /** The store's change counter this snapshot was read at. */
    public long version() {
        return version;
    }

    /** False for a store nobody ran 'edge init' on (or one that lost its contents). */
    public boolean hasAnyAccount() {
        return !accounts.isEmpty();
    }

    public boolean hasAccount(String accountId) {
        return accounts.contains(accountId);
    }

    public List<String> accounts() {
        return accounts;
    }

    /** The API token whose secret is the given one (hash lookup, then a constant-time comparison). */
    public Optional<ApiTokenRecord> apiToken(String secret) {
        byte[] h = Hashes.sha256(secret);
        ApiTokenRecord t = tokensByHash.get(java.util.HexFormat.of().formatHex(h));
        return t != null && Hashes.equal(t.hash(), h) ? Optional.of(t) : Optional.empty();
    }

    public List<ApiTokenRecord> apiTokens(String accountId) {
        return tokenList.stream().filter(t -> t.accountId().equals(accountId)).toList();
    }

    public Optional<ApiTokenRecord> apiTokenById(String accountId, String id) {
        return tokenList.stream().filter(t -> t.accountId().equals(accountId) && t.id().equals(id)).findFirst();
    }

    @Override
    public Optional<TunnelRecord> tunnel(UUID id) {
        return Optional.ofNullable(tunnels.get(id));
    }

    public Optional<TunnelRecord> tunnel(String accountId, UUID id) {
        return tunnel(id).filter(t -> t.accountId().equals(accountId));
    }

    public List<TunnelRecord> tunnels(String accountId) {
        return tunnelList.stream().filter(t -> t.accountId().equals(accountId)).toList();
    }

    @Override
    public Optional<WorkerRecord> workerByGatewayToken(String token) {
        if (token == null || token.isEmpty()) {
            return Optional.empty();
        }
        String k = workerByTokenHash.get(Hashes.sha256Hex(token));
        return k == null ? Optional.empty() : Optional.ofNullable(workers.get(k));
    }

    public Optional<WorkerRecord> worker(String accountId, String name) {
        return Optional.ofNullable(workers.get(key(accountId, name)));
    }

    public List<WorkerRecord> workers(String accountId) {
        return workerList.stream().filter(w -> w.accountId().equals(accountId)).toList();
    }

    /** The names of every worker's bindings, all accounts together (what the gateway's metrics label fetches with). */
    public java.util.Set<String> bindingNames() {
        java.util.Set<String> names = new java.util.HashSet<>();
        workerList.forEach(w -> names.addAll(w.bindings().keySet()));
        return names;
    }

    @Override
    public Optional<ServiceRecord> service(UUID id) {
        return Optional.ofNullable(services.get(id));
    }

    public Optional<ServiceRecord> service(String accountId, UUID id) {
        return service(id).filter(s -> s.accountId().equals(accountId));
    }

    public List<ServiceRecord> services(String accountId) {
        return serviceList.stream().filter(s -> s.accountId().equals(accountId)).toList();
    }

    public List<RouteRecord> routes(String accountId) {
        return routeList.stream().filter(r -> r.accountId().equals(accountId)).toList();
    }

    public List<HostnameRouteRecord> hostnameRoutes(String accountId) {
        return hostRouteList.stream().filter(r -> r.accountId().equals(accountId)).toList();
    }

    @Override
    public Optional<UUID> routeTunnel(String accountId, InetAddress address) {
        List<RouteRecord> rs = routesByAccount.get(accountId);
        if (rs == null || address == null) {
            return Optional.empty();
        }
        InetAddress a = unmapV4(address);
        for (RouteRecord r : rs) {
            if (r.network().contains(a)) {
                return Optional.of(r.tunnelId());
            }
        }
        return Optional.empty();
    }

    private static InetAddress unmapV4(InetAddress a) {
        byte[] b = a.getAddress();
        if (!Ipv4Mapped.is(b)) {
            return a;
        }
        try {
            return InetAddress.getByAddress(Ipv4Mapped.unmap(b));
        } catch (java.net.UnknownHostException e) {
            return a;
        }
    }

    @Override
    public Optional<UUID> hostnameRouteTunnel(String accountId, String hostname) {
        List<HostnameRouteRecord> rs = hostRoutesByAccount.get(accountId);
        if (rs == null || hostname == null) {
            return Optional.empty();
        }
        String h = hostname.toLowerCase(Locale.ROOT);
        if (h.endsWith(".")) {
            h = h.substring(0, h.length() - 1);
        }
        HostnameRouteRecord best = null;
        int bestScore = -1;
        for (HostnameRouteRecord r : rs) {
            int score = HostnameRoutes.matchScore(r.hostname(), h);
            if (score > bestScore) {
                best = r;
                bestScore = score;
            }
        }
        return best == null ? Optional.empty() : Optional.of(best.tunnelId());
    }
}
