package dev.vpctunnel.edge.gateway;

import dev.vpctunnel.edge.directory.DirectorySnapshot;
import dev.vpctunnel.edge.link.TunnelRouter;
import dev.vpctunnel.edge.metrics.EdgeMetrics;

import java.util.function.Supplier;

/** What every fetch needs: the directory snapshot, the live links, the routing rules, the metrics. */
record GatewayContext(Supplier<DirectorySnapshot> directory, TunnelRouter links, FetchRouter router, EdgeMetrics metrics) {
}
