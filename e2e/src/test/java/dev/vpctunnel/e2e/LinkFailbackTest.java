package dev.vpctunnel.e2e;

import dev.vpctunnel.connector.link.LinkSupervisor;
import dev.vpctunnel.core.link.TunnelToken;
import dev.vpctunnel.edge.link.EdgeLink;
import dev.vpctunnel.edge.link.TunnelServer;
import dev.vpctunnel.edge.routing.LinkInfo;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static dev.vpctunnel.e2e.LinkHarness.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Links of a connector given --edge A,B that had to leave their own edge move back once it takes links again, and
 * only then: the working link drains after the new one registered, and an edge that answers but refuses links does
 * not take a working link away.
 */
class LinkFailbackTest {
    private static final Duration WAIT = Duration.ofSeconds(20);

    @Test
    void aLinkMovesBackToItsOwnEdgeWithoutAGapAndItsStreamsFinish() throws Exception {
        try (LinkHarness h = new LinkHarness()) {
            int port = LinkHarness.deadPort(); // link #0's own edge is down when the connector starts
            TunnelToken t = h.newTunnel();
            LinkSupervisor c = h.connect(t, 2, List.of(port, h.edge.port()), EchoFetchHandler::onStream, Duration.ofMillis(300));
            await("both links on the live edge", WAIT, () -> serving(h.edge, t).size() == 2);
            // probes to the dead port double the wait (at 0.3, 0.9, 2.1, 4.5, 9.3 s): the stream outlasts a late success
            EdgeLink moved = h.edge.router().all().stream().filter(l -> l.info().linkIndex() == 0).findFirst().orElseThrow();
            CompletableFuture<EdgeStreamClient.Result> slow = EdgeStreamClient.exchange(moved, "slow".getBytes(), 12000);
            await("a slow stream in flight on link #0", WAIT, () -> c.activeStreams() == 1);
            List<String> gaps = new ArrayList<>();
            AtomicBoolean sampling = new AtomicBoolean(true);
            java.util.concurrent.atomic.AtomicReference<TunnelServer> back = new java.util.concurrent.atomic.AtomicReference<>();
            Thread sampler = new Thread(() -> {
                while (sampling.get()) {
                    Set<Integer> covered = Stream.concat(serving(h.edge, t).stream(),
                            back.get() == null ? Stream.empty() : serving(back.get(), t).stream()).collect(Collectors.toSet());
                    if (!covered.equals(Set.of(0, 1))) {
                        gaps.add(Instant.now() + " serving links " + covered);
                    }
                    LockSupport.parkNanos(2_000_000);
                }
            });
            sampler.start();
            try {
                back.set(h.secondEdge(port, h.authority())); // the edge restarts where it was
                await("link #0 back on its own edge", WAIT, () -> serving(back.get(), t).equals(Set.of(0)));
                await("the moved link drains once the new one registered", WAIT, moved::draining);
                assertFalse(slow.isDone(), "the moved link waits for its stream");
                assertEquals("slow", new String(slow.get(30, TimeUnit.SECONDS).body()));
                await("the moved link closed after its stream", WAIT, () -> h.edge.router().links(t.tunnelId()).size() == 1);
                sampling.set(false);
                sampler.join();
                assertEquals(List.of(), gaps, "a link index had no serving link while it moved");
                assertEquals(Set.of(1), serving(h.edge, t));
                assertEquals(2, c.servingLinks());

                byte[] body = "through the edge that came back".getBytes();
                EdgeLink l = back.get().router().pick(t.tunnelId(), null).orElseThrow();
                EdgeStreamClient.Result r = EdgeStreamClient.exchange(l, body, 0).get(10, TimeUnit.SECONDS);
                assertEquals(200, r.status());
                assertArrayEquals(body, r.body());
            } finally {
                sampling.set(false);
                sampler.join();
                if (back.get() != null) {
                    back.get().close();
                }
            }
        }
    }

    @Test
    void anOwnEdgeThatRefusesLinksLeavesTheWorkingLinkAloneAndIsTriedLessOften() throws Exception {
        try (LinkHarness h = new LinkHarness()) {
            int port = LinkHarness.deadPort();
            TunnelToken t = h.newTunnel();
            h.connect(t, 2, List.of(port, h.edge.port()), EchoFetchHandler::onStream, Duration.ofMillis(200));
            await("both links on the live edge", WAIT, () -> serving(h.edge, t).size() == 2);
            LinkInfo before = link0(h.edge, t);
            AtomicInteger tries = new AtomicInteger();
            // it takes TCP and TLS, and its directory cannot be read: every registration is refused as retryable
            TunnelServer refusing = h.secondEdge(port, (id, account) -> {
                tries.incrementAndGet();
                return CompletableFuture.failedFuture(new IllegalStateException("store down"));
            });
            try {
                await("a try at the own edge", WAIT, () -> tries.get() >= 1);
                int first = tries.get();
                Thread.sleep(5000);
                int more = tries.get() - first;
                // the waits double from 200 ms (0.4, 0.8, 1.6, 3.2 s after the first try at the latest); a fixed
                // interval would have tried about 25 times in these 5 s
                assertTrue(more >= 1 && more <= 5, "tries in 5 s after the first: " + more);
                assertEquals(0, refusing.router().count());
                LinkInfo after = link0(h.edge, t);
                assertEquals(before.openedAt(), after.openedAt(), "link #0 on the other edge was never replaced");
                assertEquals(Set.of(0, 1), serving(h.edge, t));
            } finally {
                refusing.close();
            }
        }
    }

    @Test
    void aPermanentRefusalByItsOwnEdgeDoesNotStopTheConnector() throws Exception {
        try (LinkHarness h = new LinkHarness()) {
            int port = LinkHarness.deadPort();
            TunnelToken t = h.newTunnel();
            LinkSupervisor c = h.connect(t, 2, List.of(port, h.edge.port()), EchoFetchHandler::onStream, Duration.ofMillis(200));
            await("both links on the live edge", WAIT, () -> serving(h.edge, t).size() == 2);
            AtomicInteger tries = new AtomicInteger();
            // an edge with another secret for the tunnel (a misconfigured directory): "invalid tunnel secret", permanent
            TunnelServer wrong = h.secondEdge(port, (id, account) -> {
                tries.incrementAndGet();
                return CompletableFuture.completedFuture(java.util.Optional.of(new byte[32]));
            });
            try {
                await("two tries at the own edge", WAIT, () -> tries.get() >= 2);
                assertFalse(c.permanentFailure().isDone(), "a probe's refusal is not the connector's");
                assertEquals(Set.of(0, 1), serving(h.edge, t));
                assertEquals(2, c.servingLinks());
                assertEquals(0, wrong.router().count());
            } finally {
                wrong.close();
            }
        }
    }

    private static Set<Integer> serving(TunnelServer edge, TunnelToken t) {
        return edge.router().links(t.tunnelId()).stream().filter(l -> !l.draining()).map(LinkInfo::linkIndex)
                .collect(Collectors.toSet());
    }

    private static LinkInfo link0(TunnelServer edge, TunnelToken t) {
        return edge.router().links(t.tunnelId()).stream().filter(l -> l.linkIndex() == 0).findFirst().orElseThrow();
    }
}
