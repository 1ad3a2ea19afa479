package dev.vpctunnel.edge.directory;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The connectivity directory: a JDBC store (H2 file in the data dir by default, or PostgreSQL) and an immutable
 * snapshot swapped after each committed write. Every method that touches the store blocks: never call it on an
 * event loop. Writes are serialised (one connection; the change counter row also serialises edges sharing PostgreSQL).
 */
public final class Directory implements AutoCloseable {
    public static final int MAX_SERVICES_PER_ACCOUNT = 10_000;
    private static final Logger LOG = Logger.getLogger(Directory.class.getName());

    private final String url;
    private final H2Growth growth; // null for PostgreSQL
    private final Object lock = new Object();
    private Connection connection;
    /** The embedded store was opened while its file could not be written: H2 has it read-only until it is opened again. */
    private boolean readOnlyAtOpen;
    private volatile DirectoryData data = DirectoryData.EMPTY;
    private final CatchUp catchUp = new CatchUp(this::refresh);
    private ScheduledExecutorService refresher;
    private String refreshFailure; // only the refresher thread reads and writes it
    /** The last refresh could not reach the store (not: it read something it could not parse). Refresher writes it. */
    private volatile String storeUnreachable;
    private final List<Consumer<DirectoryData>> changeListeners = new CopyOnWriteArrayList<>();

    private Directory(String url, H2Growth growth) {
        this.url = url;
        this.growth = growth;
    }

    /** Opens (creating or migrating the schema) and loads the first snapshot. storeUrl null: H2 in dataDir. */
    public static Directory open(Path dataDir, String storeUrl) throws SQLException {
        boolean embedded = storeUrl == null || storeUrl.isBlank();
        String url = embedded ? H2Store.url(dataDir) : H2Store.withoutTraceFile(storeUrl);
        if (!url.startsWith("jdbc:h2:") && !url.startsWith("jdbc:postgresql:")) {
            throw new SQLException("unsupported store URL (use jdbc:postgresql://… or the default embedded H2): "
                    + StoreErrors.redact(url));
        }
        Directory d = new Directory(url, embedded ? new H2Growth(dataDir) : null);
        synchronized (d.lock) {
            for (int attempt = 1; ; attempt++) {
                try {
                    Schema.migrate(d.connection());
                    d.reloadLocked();
                    return d;
                } catch (SQLException e) {
                    d.dropConnection();
                    if (attempt == 3 || url.startsWith("jdbc:h2:")) {
                        throw new SQLException(StoreErrors.describe(e, url), e.getSQLState());
                    }
                    // several edges creating the schema of a fresh PostgreSQL at once: the loser retries
                    try {
                        Thread.sleep(200L * attempt);
                    } catch (InterruptedException ie) {
                        Thread.currentThread().interrupt();
                        throw e;
                    }
                }
            }
        }
    }

    public DirectorySnapshot snapshot() {
        return data;
    }

    /**
     * The secret of the account's tunnel, for a connector's registration; never blocks the caller (an event loop). A
     * tunnel not in the snapshot is looked up once more in the store, on a thread of the directory's own (another edge
     * sharing it may have created it since the last refresh); a store that cannot be read fails the stage with a
     * DirectoryException (the registration is then refused as retryable, not as unknown).
     */
    public java.util.concurrent.CompletableFuture<java.util.Optional<byte[]>> tunnelSecret(UUID id, String accountId) {
        java.util.Optional<byte[]> secret = data.tunnel(accountId, id).map(TunnelRecord::secret);
        if (secret.isPresent()) {
            return java.util.concurrent.CompletableFuture.completedFuture(secret);
        }
        return catchUp.request().thenApply(v -> data.tunnel(accountId, id).map(TunnelRecord::secret));
    }

    /** The snapshot with the admin API's listing methods. */
    public DirectoryData data() {
        return data;
    }

    /**
     * Calls {@code listener} with every new snapshot (after this edge's writes, and when a refresh sees another edge's),
     * under the directory's lock: it must be quick and must not write to the directory.
     */
    public void onChange(Consumer<DirectoryData> listener) {
        changeListeners.add(listener);
    }

    /** Polls the change counter so that writes of other edges sharing the store show up within 'every'. */
    public void startRefresh(Duration every) {
        synchronized (lock) {
            if (refresher != null) {
                return;
            }
            refresher = Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "directory-refresh");
                t.setDaemon(true);
                return t;
            });
            long ms = Math.max(50, every.toMillis());
            refresher.scheduleWithFixedDelay(this::refreshQuietly, ms, ms, TimeUnit.MILLISECONDS);
        }
    }

    /**
     * One warning when the store stops answering (and again when its reason changes), one line when it is back: not a
     * warning every refresh period for as long as the outage lasts.
     */
    private void refreshQuietly() {
        try {
            refresh();
            storeUnreachable = null;
            if (refreshFailure != null) {
                refreshFailure = null;
                LOG.info("directory store reachable again; refreshes resumed");
            }
        } catch (RuntimeException e) {
            String why = String.valueOf(e.getMessage());
            boolean unreachable = e instanceof DirectoryException d && d.kind() == DirectoryException.Kind.UNAVAILABLE;
            storeUnreachable = unreachable ? why : null; // a row it cannot read does not make the store unreachable
            LOG.log(why.equals(refreshFailure) ? Level.FINE : Level.WARNING, "directory refresh failed: " + why
                    + (refreshFailure == null ? " (serving the last directory read; retrying every refresh period)" : ""));
            refreshFailure = why;
        }
    }

    /** Reloads the snapshot when the store's change counter moved. */
    public void refresh() {
        synchronized (lock) {
            try {
                Connection c = connection();
                long counter = SnapshotLoader.counter(c);
                c.commit();
                if (counter != data.version()) {
                    reloadLocked();
                }
            } catch (SQLException e) {
                dropConnection();
                throw new DirectoryException(DirectoryException.Kind.UNAVAILABLE, "directory store unavailable: "
                        + StoreErrors.describe(e, url), e);
            }
        }
    }

    private Connection connection() throws SQLException {
        if (connection == null || connection.isClosed()) {
            connection = DriverManager.getConnection(url, StoreTimeouts.forUrl(url));
            readOnlyAtOpen = growth != null && growth.unwritable();
            connection.setAutoCommit(false);
            connection.setTransactionIsolation(Connection.TRANSACTION_READ_COMMITTED);
        }
        return connection;
    }

    private void dropConnection() {
        try {
            if (connection != null) {
                connection.close();
            }
        } catch (SQLException ignored) {
            // already broken
        }
        connection = null;
    }

    private void reloadLocked() throws SQLException {
        data = SnapshotLoader.loadConsistent(connection());
        for (Consumer<DirectoryData> l : changeListeners) {
            try {
                l.accept(data);
            } catch (RuntimeException e) {
                LOG.log(Level.WARNING, "directory change listener failed", e);
            }
        }
    }

    @FunctionalInterface
    private interface Tx<T> {
        T run(Connection c) throws SQLException;
    }

    private interface Update {
        void run(Connection c) throws SQLException;
    }

    /** {@link #write} of a transaction that returns nothing. */
    private void update(Update u) {
        write(c -> {
            u.run(c);
            return null;
        });
    }

    /** The last refresh could not reach the store: writes are refused at once until one does ({@link #write}). */
    public boolean storeDown() {
        return storeUnreachable != null;
    }

    /**
     * One write transaction, then a fresh snapshot. A DirectoryException rolls everything back. Refused at once while
     * the store is unreachable, not each waiting out the driver's timeouts under the lock (API calls queued 10-40 s).
     */
    private <T> T write(Tx<T> tx) {
        String down = storeUnreachable;
        if (down != null) {
            throw new DirectoryException(DirectoryException.Kind.UNAVAILABLE, down + " (tried again at the next refresh)");
        }
        synchronized (lock) {
            if (growth != null) {
                growth.checkFile();
                if (readOnlyAtOpen && !growth.unwritable()) { // writable again since a refresh opened it read-only
                    dropConnection();
                }
            }
            Connection c;
            try {
                c = connection();
            } catch (SQLException e) {
                dropConnection();
                throw new DirectoryException(DirectoryException.Kind.UNAVAILABLE, "directory store unavailable: "
                        + StoreErrors.describe(e, url), e);
            }
            T result;
            try {
                DirectoryWrites.bumpCounter(c);
                result = tx.run(c);
                c.commit();
            } catch (SQLException | RuntimeException e) {
                DirectoryWrites.rollbackQuietly(c);
                if (e instanceof DirectoryException de) {
                    throw de;
                }
                dropConnection();
                String why = e instanceof SQLException se ? StoreErrors.describe(se, url) : String.valueOf(e.getMessage());
                throw new DirectoryException(DirectoryException.Kind.UNAVAILABLE, "directory write failed: " + why, e);
            }
            try {
                reloadLocked();
            } catch (SQLException e) {
                dropConnection();
                LOG.log(Level.WARNING, "directory reload after a write failed: " + StoreErrors.describe(e, url));
            }
            if (growth != null) {
                growth.afterWrite(this::dropConnection, this::connection);
            }
            return result;
        }
    }

    private static Instant now() {
        return Instant.now().truncatedTo(ChronoUnit.MILLIS);
    }

    /** Creates the account and an all-roles API token, unless an account already exists. */
    public InitResult initialize() {
        return write(c -> {
            String existing = DirectoryWrites.firstAccount(c);
            if (existing != null) {
                return new InitResult(existing, null);
            }
            String account = Hashes.randomHexId();
            Instant now = now();
            DirectoryWrites.insertAccount(c, account, now);
            String secret = Hashes.newToken("");
            DirectoryWrites.insertApiToken(c, new ApiTokenRecord(Hashes.randomHexId(), account, "init",
                    EnumSet.allOf(Role.class), Hashes.sha256(secret), now));
            return new InitResult(account, secret);
        });
    }

    public CreatedToken createApiToken(String accountId, String name, Set<Role> roles) {
        String secret = Hashes.newToken("");
        ApiTokenRecord t = new ApiTokenRecord(Hashes.randomHexId(), accountId, name, roles, Hashes.sha256(secret), now());
        update(c -> DirectoryWrites.insertApiToken(c, t));
        return new CreatedToken(t, secret);
    }

    /** Refused (CONFLICT) for the account's last Admin token: nothing could create another one afterwards. */
    public void deleteApiToken(String accountId, String id) {
        update(c -> DirectoryWrites.deleteApiToken(c, accountId, id));
    }

    /** A new tunnel; secret null draws 32 random bytes. */
    public TunnelRecord createTunnel(String accountId, String name, byte[] secret) {
        TunnelRecord t = new TunnelRecord(UUID.randomUUID(), accountId, name,
                secret == null ? Hashes.randomBytes(32) : secret.clone(), now());
        update(c -> DirectoryWrites.insertTunnel(c, t));
        return t;
    }

    /** Refused (CONFLICT) while a service uses the tunnel; its routes go with it. */
    public void deleteTunnel(String accountId, UUID id) {
        update(c -> DirectoryWrites.deleteTunnel(c, accountId, id));
    }

    public ServiceRecord createService(String accountId, ServiceSpec spec) {
        Instant now = now();
        ServiceRecord s = spec.record(UUID.randomUUID(), accountId, now, now);
        return write(c -> {
            DirectoryWrites.requireTunnel(c, accountId, spec.tunnelId(), spec.tunnelField());
            DirectoryWrites.insertService(c, s, MAX_SERVICES_PER_ACCOUNT);
            return s;
        });
    }

    public ServiceRecord updateService(String accountId, UUID id, ServiceSpec spec) {
        return write(c -> {
            Instant created = DirectoryWrites.serviceCreatedAt(c, accountId, id);
            DirectoryWrites.requireTunnel(c, accountId, spec.tunnelId(), spec.tunnelField());
            ServiceRecord s = spec.record(id, accountId, created, now());
            DirectoryWrites.updateService(c, s);
            return s;
        });
    }

    public void deleteService(String accountId, UUID id) {
        deleteOne("services", "service", accountId, id.toString());
    }

    public RouteRecord addRoute(String accountId, Cidr network, UUID tunnelId, String comment) {
        RouteRecord r = new RouteRecord(UUID.randomUUID(), accountId, network, tunnelId, comment, now());
        return write(c -> {
            DirectoryWrites.requireTunnel(c, accountId, tunnelId, "tunnel_id");
            DirectoryWrites.insertRoute(c, r);
            return r;
        });
    }

    public void deleteRoute(String accountId, UUID id) {
        deleteOne("routes", "route", accountId, id.toString());
    }

    /** hostname must be normalised already (HostnameRoutes.normalize). */
    public HostnameRouteRecord addHostnameRoute(String accountId, String hostname, UUID tunnelId, String comment) {
        HostnameRouteRecord r = new HostnameRouteRecord(UUID.randomUUID(), accountId, hostname, tunnelId, comment, now());
        return write(c -> {
            DirectoryWrites.requireTunnel(c, accountId, tunnelId, "tunnel_id");
            DirectoryWrites.insertHostnameRoute(c, r);
            return r;
        });
    }

    public void deleteHostnameRoute(String accountId, UUID id) {
        deleteOne("hostname_routes", "hostname route", accountId, id.toString());
    }

    /** Creates or replaces a worker's bindings; returns a fresh gateway token (earlier ones stay valid). */
    public String putWorker(String accountId, String name, List<BindingRecord> bindings) {
        String token = Hashes.newToken("gw_");
        update(c -> DirectoryWrites.putWorker(c, accountId, name, List.copyOf(bindings), Hashes.sha256Hex(token),
                now()));
        return token;
    }

    /** Deletes the worker, its bindings and every gateway token it had. */
    public void deleteWorker(String accountId, String name) {
        update(c -> DirectoryWrites.deleteWorker(c, accountId, name));
    }

    /** Deletes one row of the account in its own transaction; not found is a DirectoryException. */
    private void deleteOne(String table, String what, String accountId, String id) {
        update(c -> DirectoryWrites.deleteOne(c, table, what, accountId, id));
    }

    @Override
    public void close() {
        catchUp.close();
        synchronized (lock) {
            if (refresher != null) {
                refresher.shutdownNow();
                refresher = null;
            }
            dropConnection();
        }
    }
}
