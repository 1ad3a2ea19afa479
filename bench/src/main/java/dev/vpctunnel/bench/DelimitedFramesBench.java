package dev.vpctunnel.bench;

import dev.vpctunnel.core.link.DelimitedFrames;
import dev.vpctunnel.proto.ConnectRequest;
import dev.vpctunnel.proto.Scheme;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.PooledByteBufAllocator;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import java.io.IOException;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** The link's length-delimited protobuf framing, whole messages and messages split over two reads. */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class DelimitedFramesBench {
    private final ByteBufAllocator alloc = PooledByteBufAllocator.DEFAULT;
    private ConnectRequest message;
    private byte[] encoded;

    @Setup
    public void setup() {
        message = ConnectRequest.newBuilder().setScheme(Scheme.HTTPS).setServerName("api.internal").setPort(443)
                .addAddresses("10.0.0.5").setConnectTimeoutMs(10_000).setTlsTimeoutMs(10_000).setRequestId("1a2b3c").build();
        ByteBuf b = DelimitedFrames.encode(alloc, message);
        encoded = new byte[b.readableBytes()];
        b.readBytes(encoded);
        b.release();
    }

    @Benchmark
    public ByteBuf encode() {
        ByteBuf b = DelimitedFrames.encode(alloc, message);
        b.release();
        return b;
    }

    @Benchmark
    public List<ConnectRequest> decodeWhole() throws IOException {
        DelimitedFrames<ConnectRequest> f = new DelimitedFrames<>(ConnectRequest.parser(), 16 * 1024);
        ByteBuf b = alloc.buffer(encoded.length).writeBytes(encoded);
        return f.feed(b);
    }

    @Benchmark
    public List<ConnectRequest> decodeSplit() throws IOException {
        DelimitedFrames<ConnectRequest> f = new DelimitedFrames<>(ConnectRequest.parser(), 16 * 1024);
        int half = encoded.length / 2;
        f.feed(alloc.buffer(half).writeBytes(encoded, 0, half));
        List<ConnectRequest> out = f.feed(alloc.buffer(encoded.length - half).writeBytes(encoded, half, encoded.length - half));
        f.close();
        return out;
    }
}
