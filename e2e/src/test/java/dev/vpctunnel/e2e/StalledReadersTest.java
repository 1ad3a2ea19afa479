package dev.vpctunnel.e2e;

import com.sun.net.httpserver.HttpServer;
import dev.vpctunnel.edge.directory.ServiceBinding;
import dev.vpctunnel.edge.directory.ServiceRecord;
import dev.vpctunnel.edge.directory.TunnelRecord;
import org.junit.jupiter.api.Test;

import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Workers that stop reading large responses do not freeze the other fetches on the same link while they are fewer
 * than the link's connection window (32 MiB) over the stream window (1 MiB): each stalled stream keeps up to its
 * stream window unread, counted against the connection window too. About 32 stalled readers per link do freeze it
 * (64 held a small fetch beside them for 20 s): the bound that keeps the edge's memory per link flat; see README.
 * This guards the windows (e.g. Netty's 64 KiB connection default froze the link with one stalled reader).
 */
class StalledReadersTest {
    private static final int BIG = 16 * 1024 * 1024;
    private static final int STALLED = 20;

    private static void closeAll(List<Socket> sockets) throws java.io.IOException {
        for (Socket w : sockets) {
            w.close();
        }
    }

    @Test
    void twentyWorkersThatStopReadingDoNotFreezeTheLink() throws Exception {
        ExecutorService pool = Executors.newCachedThreadPool();
        HttpServer origin = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 200);
        origin.setExecutor(pool);
        byte[] chunk = new byte[64 * 1024];
        origin.createContext("/big", ex -> {
            ex.sendResponseHeaders(200, BIG);
            try (OutputStream os = ex.getResponseBody()) {
                for (int sent = 0; sent < BIG; sent += chunk.length) {
                    os.write(chunk);
                }
            } catch (java.io.IOException e) {
                // the connector cancelled the fetch (the worker went away)
            }
        });
        origin.createContext("/small", ex -> {
            byte[] out = "small".getBytes(StandardCharsets.US_ASCII);
            ex.sendResponseHeaders(200, out.length);
            try (OutputStream os = ex.getResponseBody()) {
                os.write(out);
            }
        });
        origin.start();
        List<Socket> stalled = new ArrayList<>();
        try (GatewayFixture f = new GatewayFixture(); AutoCloseable closeWorkers = () -> closeAll(stalled)) {
            TunnelRecord tunnel = f.tunnel("stall");
            f.connect(tunnel, 1, List.of()); // one link: every fetch shares it
            ServiceRecord s = f.service("stall", origin.getAddress().getPort(), null, "127.0.0.1", null, tunnel.id());
            String token = f.worker("w", List.of(new ServiceBinding("WEB", s.id())));
            for (int i = 0; i < STALLED; i++) {
                Socket w = new Socket();
                w.setReceiveBufferSize(4096); // what the kernel holds for a worker that does not read stays small
                w.connect(new InetSocketAddress("127.0.0.1", f.gateway.port()));
                w.getOutputStream().write(("GET http://stall.internal/big HTTP/1.1\r\nProxy-Authorization: Bearer " + token
                        + "\r\ncf-vpc-binding: WEB\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
                stalled.add(w);
            }
            LinkHarness.await(STALLED + " responses streaming", java.time.Duration.ofSeconds(20),
                    () -> f.tunnels.router().all().stream().mapToInt(l -> l.openStreams()).sum() == STALLED);
            // the stalled responses fill what they may: the kernel's buffers first, then the edge's
            Thread.sleep(Long.getLong("stall.ms", 6000));
            assertEquals(STALLED, f.tunnels.router().all().stream().mapToInt(l -> l.openStreams()).sum(),
                    "the stalled fetches are still open");
            long t0 = System.nanoTime();
            RawHttp.Response r = f.fetch(token, "WEB", "http://stall.internal/small", "", null);
            long ms = (System.nanoTime() - t0) / 1_000_000;
            assertEquals(200, r.status(), r.text());
            assertEquals("small", r.text());
            assertTrue(ms < 5000, "the fetch beside " + STALLED + " stalled readers took " + ms + " ms");
            closeAll(stalled);
            LinkHarness.await("the stalled fetches cancelled", java.time.Duration.ofSeconds(20),
                    () -> f.tunnels.router().all().stream().allMatch(l -> l.openStreams() == 0));
        } finally {
            origin.stop(0);
            pool.shutdownNow();
        }
    }
}
