package dev.vpctunnel.edge.gateway;

import dev.vpctunnel.edge.directory.DirectorySnapshot;
import dev.vpctunnel.edge.link.TunnelRouter;
import dev.vpctunnel.edge.metrics.EdgeMetrics;

import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.util.concurrent.GlobalEventExecutor;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;

/**
 * What every fetch needs: the directory snapshot, the live links, the routing rules, the metrics, and whether the
 * gateway is closing (the edge drains: HTTP/1.1 connections are closed after their next response; the open h2c
 * connections, kept in a group, get GOAWAY), and how many worker connections it may hold.
 */
record GatewayContext(Supplier<DirectorySnapshot> directory, TunnelRouter links, FetchRouter router, EdgeMetrics metrics,
                      AtomicBoolean closing, ChannelGroup h2cConnections, ConnectionLimit connections) {
    GatewayContext(Supplier<DirectorySnapshot> directory, TunnelRouter links, FetchRouter router, EdgeMetrics metrics) {
        this(directory, links, router, metrics, new AtomicBoolean(), new DefaultChannelGroup(GlobalEventExecutor.INSTANCE),
                ConnectionLimit.forProcess());
    }
}
