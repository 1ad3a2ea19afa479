package dev.vpctunnel.e2e;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The gateway's own answers (a head it cannot read, a refused fetch) while the worker is still sending: the worker can
 * send all it has and read the whole answer, however much follows it (the connection is ended gently, never with a
 * reset), and a worker that pipelines without reading gets no more answers queued than it reads.
 */
class GatewayAnswerCloseTest {
    /** More than loopback's socket buffers on both sides hold, so a reset always hits the worker's writes. */
    private static final int TAIL = 24 * 1024 * 1024;
    private static GatewayFixture f;

    @BeforeAll
    static void setUp() throws Exception {
        f = new GatewayFixture();
    }

    @AfterAll
    static void tearDown() throws Exception {
        f.close();
    }

    @Test
    void aHeadTheDecoderRefusesFollowedByALargeBodyGetsThe400AndNoReset() throws Exception {
        String head = "POST http://api.internal/x HTTP/1.1\r\nBad\u0001Name: x\r\nContent-Length: " + TAIL + "\r\n\r\n";
        Exchanged r = sendWhileReading(head, TAIL);
        assertEquals(400, r.response().status(), r.response().text());
        assertTrue(r.response().text().startsWith("bad request: "), r.response().text());
        assertEquals("", r.writeFailure(), "the worker could send its whole body");
        assertTrue(r.closedAfter(), "the connection ends after the 400");
    }

    @Test
    void aRefusedFetchWithConnectionCloseFollowedByMoreDataGetsThe401AndNoReset() throws Exception {
        // the first request is answered 401 and ends the connection; what the worker sends after it is never answered
        String head = "GET http://api.internal/x HTTP/1.1\r\nHost: api.internal\r\nConnection: close\r\n\r\n"
                + "POST http://api.internal/y HTTP/1.1\r\nHost: api.internal\r\nContent-Length: " + TAIL + "\r\n\r\n";
        Exchanged r = sendWhileReading(head, TAIL);
        assertEquals(401, r.response().status(), r.response().text());
        assertEquals("unauthorized", r.response().header("cf-vpc-error"));
        assertEquals("", r.writeFailure(), "the worker could send all it had");
        assertTrue(r.closedAfter(), "one answer, then the connection ends");
    }

    @Test
    void aWorkerThatPipelinesWithoutReadingIsNotAnsweredAheadOfItsReads() throws Exception {
        byte[] one = "GET http://api.internal/p HTTP/1.1\r\nHost: api.internal\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1);
        int n = 60_000; // 3.5 MB of requests; their 401 answers are ~4.5 times that
        double before = unauthorized();
        try (Socket s = new Socket()) {
            s.setReceiveBufferSize(16 * 1024);
            s.connect(new java.net.InetSocketAddress(InetAddress.getLoopbackAddress(), f.gateway.port()));
            s.setSoTimeout(30_000);
            OutputStream out = s.getOutputStream();
            CompletableFuture<Void> sent = CompletableFuture.runAsync(() -> {
                try {
                    byte[] all = new byte[one.length * n];
                    for (int i = 0; i < n; i++) {
                        System.arraycopy(one, 0, all, i * one.length, one.length);
                    }
                    out.write(all);
                    out.flush();
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            });
            // nothing read yet: the gateway answers what the socket buffers take, then waits for the worker to read
            double answered = settled();
            assertTrue(answered - before < n / 2.0, "the gateway answered " + (answered - before) + " of " + n
                    + " pipelined requests although the worker read none of the answers");
            InputStream in = s.getInputStream();
            byte[] status = "HTTP/1.1 401 ".getBytes(StandardCharsets.ISO_8859_1);
            byte[] buf = new byte[65536];
            int seen = 0;
            int matched = 0;
            int got;
            while (seen < n && (got = in.read(buf)) != -1) { // counts the status lines (a 401 body never holds one)
                for (int i = 0; i < got; i++) {
                    byte b = buf[i];
                    matched = b == status[matched] ? matched + 1 : (b == status[0] ? 1 : 0);
                    if (matched == status.length) {
                        seen++;
                        matched = 0;
                    }
                }
            }
            assertEquals(n, seen, "every pipelined request is answered 401, in turn");
            sent.get(30, TimeUnit.SECONDS);
            assertEquals(n, unauthorized() - before, 0.5);
        }
    }

    /** The unauthorized fetches the edge counted, once the count stopped moving for a second (at most 20 s). */
    private static double settled() throws InterruptedException {
        double last = -1;
        long stableSince = System.nanoTime();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (System.nanoTime() < deadline) {
            double now = unauthorized();
            if (now != last) {
                last = now;
                stableSince = System.nanoTime();
            } else if (System.nanoTime() - stableSince > TimeUnit.SECONDS.toNanos(1)) {
                break;
            }
            Thread.sleep(100);
        }
        return last;
    }

    private static double unauthorized() {
        for (var m : f.metrics.registry().scrape()) {
            if (m instanceof io.prometheus.metrics.model.snapshots.CounterSnapshot c
                    && c.getMetadata().getName().equals("vpc_gateway_fetches")) {
                for (var d : c.getDataPoints()) {
                    if ("unauthorized".equals(d.getLabels().get("code"))) {
                        return d.getValue();
                    }
                }
            }
        }
        return 0;
    }

    private record Exchanged(RawHttp.Response response, String writeFailure, boolean closedAfter) {
    }

    /** Sends head and then body bytes of zeros from another thread while reading one answer and what follows it. */
    private static Exchanged sendWhileReading(String head, int body) throws Exception {
        try (Socket s = new Socket(InetAddress.getLoopbackAddress(), f.gateway.port())) {
            s.setSoTimeout(20_000);
            OutputStream out = s.getOutputStream();
            CompletableFuture<String> sent = CompletableFuture.supplyAsync(() -> {
                try {
                    out.write(head.getBytes(StandardCharsets.ISO_8859_1));
                    byte[] chunk = new byte[64 * 1024];
                    for (int left = body; left > 0; left -= chunk.length) {
                        out.write(chunk, 0, Math.min(left, chunk.length));
                    }
                    out.flush();
                    return "";
                } catch (IOException e) {
                    return e.toString();
                }
            });
            InputStream in = s.getInputStream();
            RawHttp.Response r = RawHttp.read(in);
            String writeFailure = sent.get(30, TimeUnit.SECONDS);
            ByteArrayOutputStream rest = new ByteArrayOutputStream();
            byte[] buf = new byte[4096];
            int got;
            while ((got = in.read(buf)) > 0) {
                rest.write(buf, 0, got);
            }
            assertEquals("", new String(Arrays.copyOf(rest.toByteArray(), Math.min(rest.size(), 200)), StandardCharsets.ISO_8859_1),
                    "nothing after the answer");
            return new Exchanged(r, writeFailure, got == -1);
        }
    }
}
