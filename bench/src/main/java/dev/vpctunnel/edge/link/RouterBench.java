package dev.vpctunnel.edge.link;

import io.netty.channel.embedded.EmbeddedChannel;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/** TunnelRouter.pick: the link choice made for every fetch (least open streams, optional loop affinity). */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class RouterBench {
    @Param({"4", "16"})
    int links;
    private final UUID tunnel = UUID.randomUUID();
    private final TunnelRouter router = new TunnelRouter();
    private final List<EmbeddedChannel> channels = new ArrayList<>();

    @Setup
    public void setup() {
        for (int i = 0; i < links; i++) {
            EmbeddedChannel ch = new EmbeddedChannel();
            channels.add(ch);
            router.add(new EdgeLink(ch, tunnel, "connector-" + i / 4, i % 4, "bench", "edge", Long.MAX_VALUE, () -> { }));
        }
    }

    @TearDown
    public void tearDown() {
        channels.forEach(EmbeddedChannel::finishAndReleaseAll);
    }

    @Benchmark
    public EdgeLink pick() {
        return router.pick(tunnel, null).orElseThrow();
    }

    @Benchmark
    public EdgeLink pickWithLoopAffinity() {
        return router.pick(tunnel, null, channels.get(0).eventLoop()).orElseThrow();
    }
}
