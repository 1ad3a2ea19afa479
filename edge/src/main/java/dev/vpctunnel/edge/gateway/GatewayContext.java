package dev.vpctunnel.edge.gateway;

import dev.vpctunnel.edge.directory.DirectorySnapshot;
import dev.vpctunnel.edge.link.TunnelRouter;
import dev.vpctunnel.edge.metrics.EdgeMetrics;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;

/**
 * What every fetch needs: the directory snapshot, the live links, the routing rules, the metrics, and whether the
 * gateway is closing (the edge drains: HTTP/1.1 connections are closed after their next response).
 */
record GatewayContext(Supplier<DirectorySnapshot> directory, TunnelRouter links, FetchRouter router, EdgeMetrics metrics,
                      AtomicBoolean closing) {
    GatewayContext(Supplier<DirectorySnapshot> directory, TunnelRouter links, FetchRouter router, EdgeMetrics metrics) {
        this(directory, links, router, metrics, new AtomicBoolean());
    }
}
