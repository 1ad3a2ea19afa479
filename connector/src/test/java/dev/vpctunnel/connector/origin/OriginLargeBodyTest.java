package dev.vpctunnel.connector.origin;

import dev.vpctunnel.core.link.LinkHeaders;
import dev.vpctunnel.proto.ConnectRequest;
import dev.vpctunnel.proto.Scheme;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufAllocatorMetricProvider;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http2.Http2StreamChannel;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * 256 MiB each way through link + connector + origin in one JVM (-Xmx1g): the body streams, memory stays flat.
 * Memory is sampled during the transfer: heap used right after a GC, and the Netty allocator's direct memory.
 */
class OriginLargeBodyTest {
    /** 256 MiB by default; -Dvpctunnel.test.bodyBytes=1073741824 for the 1 GiB run. */
    static final long SIZE = Long.getLong("vpctunnel.test.bodyBytes", 256L * 1024 * 1024);
    static final long LIMIT = 64L * 1024 * 1024;
    private static final ByteBuf ZEROS = Unpooled.unreleasableBuffer(Unpooled.directBuffer(16 * 1024).writeZero(16 * 1024));
    static TestOrigin origin;
    static TestLink link;

    @BeforeAll
    static void start() throws Exception {
        origin = new TestOrigin("127.0.0.1", null);
        link = new TestLink(new OriginConfig(List.of(), List.of(), List.of()));
    }

    @AfterAll
    static void stop() {
        link.close();
        origin.close();
    }

    static ConnectRequest target() {
        return ConnectRequest.newBuilder().addAddresses("127.0.0.1").setPort(origin.port()).setScheme(Scheme.HTTP)
                .setServerName("big.internal").build();
    }

    @Test
    void largeDownloadStreamsWithFlatMemory() throws Exception {
        try (MemorySampler mem = new MemorySampler()) {
            long t0 = System.nanoTime();
            TestLink.Fetch f = link.get(target(), "/download?bytes=" + SIZE, false);
            assertEquals(200, f.response().status().code());
            assertEquals("end", f.awaitOutcome());
            long ms = (System.nanoTime() - t0) / 1_000_000;
            assertEquals(SIZE, f.bodyBytes);
            report("download", ms, mem);
        }
    }

    @Test
    void largeUploadStreamsWithFlatMemory() throws Exception {
        try (MemorySampler mem = new MemorySampler()) {
            long t0 = System.nanoTime();
            HttpRequest req = new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.POST, "/upload");
            req.headers().set(HttpHeaderNames.HOST, "big.internal").set(LinkHeaders.CONNECT, TestLink.encode(target()));
            TestLink.Fetch f = link.open(req, true, ch -> new Uploader(ch, SIZE).start());
            assertEquals(200, f.response().status().code());
            assertEquals(Long.toString(SIZE), f.bodyText());
            long ms = (System.nanoTime() - t0) / 1_000_000;
            assertEquals(SIZE, origin.uploaded.get());
            report("upload", ms, mem);
        }
    }

    private static void report(String what, long ms, MemorySampler mem) {
        System.out.printf("%s of %d MiB: %d ms (%.0f MiB/s); peak heap after GC %d MiB, peak Netty direct %d MiB%n", what,
                SIZE >> 20, ms, (SIZE / 1048576.0) / (ms / 1000.0), mem.peakHeap.get() >> 20, mem.peakDirect.get() >> 20);
        assertTrue(mem.samples.get() > 0, "memory was sampled");
        assertTrue(mem.peakHeap.get() < LIMIT, "heap stayed flat: " + (mem.peakHeap.get() >> 20) + " MiB");
        assertTrue(mem.peakDirect.get() < LIMIT, "direct memory stayed flat: " + (mem.peakDirect.get() >> 20) + " MiB");
    }

    /** Writes n bytes on an HTTP/2 stream channel whenever it is writable (its flow-control window allows). */
    static final class Uploader extends ChannelInboundHandlerAdapter {
        private final Http2StreamChannel ch;
        private long remaining;
        final AtomicLong written = new AtomicLong();

        Uploader(Http2StreamChannel ch, long n) {
            this.ch = ch;
            this.remaining = n;
        }

        void start() {
            ch.pipeline().addLast(this);
            pump();
        }

        @Override
        public void channelWritabilityChanged(ChannelHandlerContext ctx) {
            pump();
            ctx.fireChannelWritabilityChanged();
        }

        private void pump() {
            if (remaining < 0) {
                return;
            }
            while (remaining > 0 && ch.isWritable()) {
                int n = (int) Math.min(remaining, ZEROS.capacity());
                remaining -= n;
                written.addAndGet(n);
                ch.write(new DefaultHttpContent(ZEROS.retainedSlice(0, n)));
            }
            if (remaining == 0) {
                remaining = -1;
                ch.write(LastHttpContent.EMPTY_LAST_CONTENT);
            }
            ch.flush();
        }
    }

    /** Samples memory every 200 ms on its own thread: heap used right after a full GC, and Netty's direct memory. */
    static final class MemorySampler implements AutoCloseable {
        final AtomicLong peakHeap = new AtomicLong();
        final AtomicLong peakDirect = new AtomicLong();
        final AtomicLong samples = new AtomicLong();
        private final AtomicBoolean running = new AtomicBoolean(true);
        private final Thread thread;

        MemorySampler() {
            MemoryMXBean mx = ManagementFactory.getMemoryMXBean();
            thread = new Thread(() -> {
                while (running.get()) {
                    System.gc();
                    peakHeap.accumulateAndGet(mx.getHeapMemoryUsage().getUsed(), Math::max);
                    if (ByteBufAllocator.DEFAULT instanceof ByteBufAllocatorMetricProvider p) {
                        peakDirect.accumulateAndGet(p.metric().usedDirectMemory(), Math::max);
                    }
                    samples.incrementAndGet();
                    try {
                        Thread.sleep(200);
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            }, "memory-sampler");
            thread.setDaemon(true);
            thread.start();
        }

        @Override
        public void close() throws InterruptedException {
            running.set(false);
            thread.interrupt();
            thread.join();
        }
    }
}
