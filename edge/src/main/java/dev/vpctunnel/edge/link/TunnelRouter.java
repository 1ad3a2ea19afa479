package dev.vpctunnel.edge.link;

import dev.vpctunnel.edge.routing.LinkInfo;
import dev.vpctunnel.edge.routing.LinkRegistry;

import io.netty.util.concurrent.EventExecutor;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;

/** Tunnel id -> its live links; picks the usable link with the fewest open streams. */
public final class TunnelRouter implements LinkRegistry {
    /** How many more open streams a link on the caller's own event loop may have and still be preferred. */
    static final int AFFINITY_SLACK = 32;
    /** Loop affinity is on unless {@code -Dvpctunnel.loopAffinity=false} (kept for comparisons). */
    private static final boolean AFFINITY = !"false".equals(System.getProperty("vpctunnel.loopAffinity"));
    private final Map<UUID, CopyOnWriteArrayList<EdgeLink>> links = new ConcurrentHashMap<>();
    private final AtomicInteger rotation = new AtomicInteger();
    private final AtomicInteger total = new AtomicInteger();
    private static final java.util.logging.Logger LOG = java.util.logging.Logger.getLogger(TunnelRouter.class.getName());

    void add(EdgeLink link) {
        links.compute(link.tunnelId(), (k, list) -> {
            CopyOnWriteArrayList<EdgeLink> l = list == null ? new CopyOnWriteArrayList<>() : list;
            l.add(link);
            return l;
        });
        total.incrementAndGet();
    }

    /** A tunnel keeps its (empty) entry while it exists: vpc_tunnel_links says 0 when all its connectors are gone. */
    void remove(EdgeLink link) {
        CopyOnWriteArrayList<EdgeLink> list = links.get(link.tunnelId());
        if (list != null && list.remove(link)) {
            total.decrementAndGet();
        }
    }

    /** The usable link of the tunnel with the fewest open streams, other than {@code exclude}; ties rotate. */
    public Optional<EdgeLink> pick(UUID tunnelId, EdgeLink exclude) {
        return pick(tunnelId, exclude, null);
    }

    /**
     * Like {@link #pick(UUID, EdgeLink)}, but prefers a link served by {@code loop} (the caller's event loop) while
     * it has at most {@link #AFFINITY_SLACK} more open streams than the least loaded one: a fetch whose worker
     * connection and tunnel link share a thread needs no hand-off between threads (measured in scripts/BENCH.md).
     */
    public Optional<EdgeLink> pick(UUID tunnelId, EdgeLink exclude, EventExecutor loop) {
        return pick(tunnelId, l -> l == exclude, loop);
    }

    /**
     * Where a fetch goes again that {@code failed} refused or could not open: a link of another connector when there
     * is one. A refusal means its connector drains, and that connector's other links refuse too until their own drain
     * notices have arrived, each on its own connection (a rolling restart lost fetches that were sent again there).
     * Otherwise any other usable link, as {@link #pick(UUID, EdgeLink, EventExecutor)}.
     */
    public Optional<EdgeLink> pickInstead(UUID tunnelId, EdgeLink failed, EventExecutor loop) {
        String connector = failed.connectorId();
        return pick(tunnelId, l -> l == failed || l.connectorId().equals(connector), loop)
                .or(() -> pick(tunnelId, failed, loop));
    }

    private Optional<EdgeLink> pick(UUID tunnelId, Predicate<EdgeLink> skip, EventExecutor loop) {
        if (!AFFINITY) {
            loop = null;
        }
        List<EdgeLink> list = links.get(tunnelId);
        if (list == null || list.isEmpty()) {
            return Optional.empty();
        }
        Object[] snapshot = list.toArray();
        int n = snapshot.length;
        int start = Math.floorMod(rotation.getAndIncrement(), n);
        EdgeLink best = null;
        EdgeLink local = null;
        for (int i = 0; i < n; i++) {
            EdgeLink l = (EdgeLink) snapshot[(start + i) % n];
            if (!l.usable() || skip.test(l)) {
                continue;
            }
            if (best == null || l.openStreams() < best.openStreams()) {
                best = l;
            }
            if (loop != null && l.channel().eventLoop() == loop && (local == null || l.openStreams() < local.openStreams())) {
                local = l;
            }
        }
        if (local != null && local.openStreams() <= best.openStreams() + AFFINITY_SLACK) {
            return Optional.of(local);
        }
        return Optional.ofNullable(best);
    }

    /**
     * Closes every link of a tunnel for which {@code exists} is false (deleted in the directory): a deleted tunnel's
     * connectors lose their links at once, and their next registration is refused.
     */
    public void closeTunnelsNotIn(java.util.function.Predicate<UUID> exists) {
        links.forEach((tunnel, list) -> {
            if (!exists.test(tunnel)) {
                for (EdgeLink l : list) {
                    LOG.info(() -> "tunnel " + tunnel + " was deleted: closing link " + l);
                    l.channel().close();
                }
                links.computeIfPresent(tunnel, (k, l) -> l.isEmpty() ? null : l); // atomic with add(): none lost
            }
        });
    }

    public List<EdgeLink> all() {
        return links.values().stream().flatMap(List::stream).toList();
    }

    public int count() {
        return total.get();
    }

    /** Links per tunnel, for metrics. */
    public Map<UUID, Integer> countsByTunnel() {
        Map<UUID, Integer> out = new java.util.HashMap<>();
        links.forEach((k, v) -> out.put(k, v.size()));
        return out;
    }

    /** Links of the tunnel registered on this edge. */
    int count(UUID tunnelId) {
        List<EdgeLink> list = links.get(tunnelId);
        return list == null ? 0 : list.size();
    }

    @Override
    public List<LinkInfo> links(UUID tunnelId) {
        List<EdgeLink> list = links.get(tunnelId);
        return list == null ? List.of() : list.stream().map(EdgeLink::info).toList();
    }
}
