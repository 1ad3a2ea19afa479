package dev.vpctunnel.connector.origin;

import dev.vpctunnel.proto.ConnectError;
import dev.vpctunnel.proto.ConnectRequest;
import dev.vpctunnel.proto.ErrorCode;
import dev.vpctunnel.proto.Scheme;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponse;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Backpressure from a slow edge, timeouts, HEAD, and pooled connections the origin closes. */
class OriginEdgeCasesTest {
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

    static ConnectRequest.Builder to(int port) {
        return ConnectRequest.newBuilder().addAddresses("127.0.0.1").setPort(port).setScheme(Scheme.HTTP)
                .setServerName("edge.internal");
    }

    @Test
    void slowEdgeStopsReadingTheOrigin() throws Exception {
        long size = 128L * 1024 * 1024;
        long before = origin.downloadSent.get();
        TestLink.Fetch f = link.open(TestLink.request(HttpMethod.GET, to(origin.port()).build(), "/download?bytes=" + size),
                false, false, null);
        f.channel.read();
        Thread.sleep(1500);
        long sent = origin.downloadSent.get() - before;
        System.out.printf("slow edge: origin sent %d KiB of %d MiB while the edge read nothing%n", sent >> 10, size >> 20);
        // Stream window (1 MiB) + socket buffers + one read batch in flight; nowhere near the body size.
        assertTrue(sent < 24L * 1024 * 1024, "origin sent " + (sent >> 20) + " MiB to an edge that reads nothing");
        f.channel.eventLoop().execute(() -> f.channel.config().setAutoRead(true));
        assertEquals("end", f.awaitOutcome());
        assertEquals(size, f.bodyBytes);
    }

    @Test
    void slowOriginStopsReadingTheEdge() throws Exception {
        long size = 128L * 1024 * 1024;
        var req = new io.netty.handler.codec.http.DefaultHttpRequest(io.netty.handler.codec.http.HttpVersion.HTTP_1_1,
                HttpMethod.POST, "/upload-stall");
        req.headers().set(HttpHeaderNames.HOST, "edge.internal")
                .set(dev.vpctunnel.core.link.LinkHeaders.CONNECT, TestLink.encode(to(origin.port()).build()));
        OriginLargeBodyTest.Uploader[] up = new OriginLargeBodyTest.Uploader[1];
        TestLink.Fetch f = link.open(req, true, ch -> {
            up[0] = new OriginLargeBodyTest.Uploader(ch, size);
            up[0].start();
        });
        Thread.sleep(1000);
        long sent = up[0].written.get();
        System.out.printf("slow origin: edge could send %d KiB of %d MiB while the origin read nothing%n", sent >> 10, size >> 20);
        assertTrue(sent < 24L * 1024 * 1024, "edge sent " + (sent >> 20) + " MiB to an origin that reads nothing");
        assertEquals(Long.toString(size), f.bodyText());
    }

    @Test
    void connectTimeoutIsConnectTimeout() throws Exception {
        try (Blackhole hole = new Blackhole(InetAddress.getByName("127.0.0.1"), 0)) {
            long t0 = System.nanoTime();
            ConnectError e = TestLink.error(link.get(to(hole.port()).setConnectTimeoutMs(300).build(), "/").response());
            long ms = (System.nanoTime() - t0) / 1_000_000;
            assertEquals(ErrorCode.CONNECT_TIMEOUT, e.getCode(), e.getMessage());
            assertTrue(e.getMessage().contains("300 ms"), e.getMessage());
            assertTrue(ms >= 250 && ms < 3000, ms + " ms");
        }
    }

    @Test
    void happyEyeballsStartsTheOtherFamilyAfterAShortDelay() throws Exception {
        try (TestOrigin v6 = new TestOrigin("::1", null, dev.vpctunnel.core.testing.SparePorts.next());
             Blackhole v4 = new Blackhole(InetAddress.getByName("127.0.0.1"), v6.port())) {
            long t0 = System.nanoTime();
            ConnectRequest cr = to(v6.port()).addAddresses("::1").setConnectTimeoutMs(10_000).build();
            HttpResponse r = link.get(cr, "/hello").response();
            long ms = (System.nanoTime() - t0) / 1_000_000;
            assertEquals(201, r.status().code(), String.valueOf(TestLink.error(r)));
            assertTrue(ms >= HappyEyeballsConnector.STAGGER_MS - 50 && ms < 5000, ms + " ms (the connect timeout: 10 s)");
        }
    }

    @Test
    void bodylessRequestIsRetriedWhenThePooledConnectionWasClosed() throws Exception {
        try (TestOrigin flaky = new TestOrigin("127.0.0.1", null)) {
            ConnectRequest cr = to(flaky.port()).build();
            assertEquals("1", link.get(cr, "/flaky").bodyText());
            TestLink.Fetch second = link.get(cr, "/flaky");
            assertEquals(200, second.response().status().code(), String.valueOf(TestLink.error(second.response())));
            assertEquals("2", second.bodyText());
            // A request with a body is not sent twice: the edge gets a 502 instead.
            var post = new io.netty.handler.codec.http.DefaultFullHttpRequest(io.netty.handler.codec.http.HttpVersion.HTTP_1_1,
                    HttpMethod.POST, "/flaky", io.netty.buffer.Unpooled.copiedBuffer(new byte[] {1, 2, 3}));
            post.headers().set(HttpHeaderNames.HOST, "edge.internal").set(dev.vpctunnel.core.link.LinkHeaders.CONNECT,
                    TestLink.encode(cr));
            HttpResponse r = link.open(post, true, null).response();
            assertEquals(502, r.status().code());
            assertEquals(ErrorCode.STREAM_RESET, TestLink.error(r).getCode());
        }
    }

    /** A pooled connection the origin closed: only idempotent, body-less requests are sent again on a fresh one. */
    @ParameterizedTest
    @ValueSource(strings = {"GET", "HEAD", "OPTIONS", "TRACE", "PUT", "DELETE"})
    void idempotentBodylessRequestIsRetried(String method) throws Exception {
        try (TestOrigin flaky = new TestOrigin("127.0.0.1", null)) {
            ConnectRequest cr = to(flaky.port()).build();
            assertEquals("1", link.get(cr, "/flaky").bodyText());
            TestLink.Fetch f = link.open(TestLink.request(HttpMethod.valueOf(method), cr, "/flaky"), true, null);
            HttpResponse r = f.response();
            assertEquals(200, r.status().code(), String.valueOf(TestLink.error(r)));
            assertEquals("end", f.awaitOutcome());
            assertEquals(2, flaky.connections.get(), "sent again on a second connection");
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"POST", "PATCH"})
    void nonIdempotentBodylessRequestIsNotResent(String method) throws Exception {
        try (TestOrigin flaky = new TestOrigin("127.0.0.1", null)) {
            ConnectRequest cr = to(flaky.port()).build();
            assertEquals("1", link.get(cr, "/flaky").bodyText());
            // No body at all (the HEADERS frame ends the stream), yet the method is not idempotent.
            HttpResponse r = link.open(TestLink.request(HttpMethod.valueOf(method), cr, "/flaky"), true, null).response();
            assertEquals(502, r.status().code());
            ConnectError e = TestLink.error(r);
            assertEquals(ErrorCode.STREAM_RESET, e.getCode(), e.getMessage());
            Thread.sleep(200);
            assertEquals(1, flaky.connections.get(), method + " was sent again on a new connection");
        }
    }

    @Test
    void switchingProtocolsIsA502AndItsConnectionIsClosed() throws Exception {
        try (TestOrigin upgrading = new TestOrigin("127.0.0.1", null)) {
            ConnectRequest cr = to(upgrading.port()).build();
            TestLink.Fetch f = link.get(cr, "/upgrade");
            HttpResponse r = f.response();
            assertEquals(502, r.status().code());
            ConnectError e = TestLink.error(r);
            assertEquals(ErrorCode.STREAM_RESET, e.getCode(), e.getMessage());
            assertTrue(e.getMessage().contains("101"), e.getMessage());
            assertEquals("end", f.awaitOutcome());
            // The connection now speaks another protocol: closed, never pooled.
            assertTrue(upgrading.upgradeClosed.await(5, java.util.concurrent.TimeUnit.SECONDS), "the upgraded connection stayed open");
            assertEquals("2", link.get(cr, "/conn").bodyText());
        }
    }

    @Test
    void tlsHandshakeTimeoutIsTlsFailedAndTimedOut() throws Exception {
        try (ServerSocket silent = new ServerSocket(0, 50, InetAddress.getByName("127.0.0.1"))) {
            ConnectRequest cr = to(silent.getLocalPort()).setScheme(Scheme.HTTPS).setTlsTimeoutMs(300).build();
            long t0 = System.nanoTime();
            HttpResponse r = link.get(cr, "/").response();
            ConnectError e = TestLink.error(r);
            assertEquals(ErrorCode.TLS_FAILED, e.getCode());
            assertTrue(e.getMessage().contains("timed out"), e.getMessage());
            assertTrue(e.getTimedOut(), "the gateway answers a timeout with 504");
            assertTrue(System.nanoTime() - t0 < 5_000_000_000L);
        }
    }

    @Test
    void headRequestHasNoBodyAndKeepsTheConnection() throws Exception {
        ConnectRequest cr = to(origin.port()).build();
        String conn = link.get(cr, "/conn").bodyText();
        TestLink.Fetch head = link.open(TestLink.request(HttpMethod.HEAD, cr, "/hello"), true, null);
        HttpResponse r = head.response();
        assertEquals(201, r.status().code());
        assertEquals("11", r.headers().get(HttpHeaderNames.CONTENT_LENGTH));
        assertEquals("", head.bodyText());
        assertEquals("end", head.awaitOutcome());
        assertEquals(conn, link.get(cr, "/conn").bodyText());
    }

    @Test
    void pooledConnectionClosedByTheOriginIsNotReused() throws Exception {
        ConnectRequest cr = to(origin.port()).build();
        String first = link.get(cr, "/close-soon").bodyText();
        Thread.sleep(400);
        TestLink.Fetch f = link.get(cr, "/conn");
        assertEquals(200, f.response().status().code());
        assertNotEquals(first, f.bodyText());
    }

    @Test
    void destinationsWhosePooledConnectionsClosedAreForgotten() throws Exception {
        int destinations = 40;
        try (TestOrigin many = new TestOrigin("127.0.0.1", null)) {
            java.util.Set<Integer> ports = new java.util.HashSet<>();
            for (int i = 0; i < destinations; i++) {
                // each port is another pool key; the origin closes the pooled connection 100 ms after answering
                int port = many.listenAlso();
                ports.add(port);
                assertEquals(200, link.get(to(port).build(), "/close-soon").response().status().code());
            }
            long deadline = System.nanoTime() + 10_000_000_000L;
            int keys;
            while ((keys = pooledKeys(ports)) > 0 && System.nanoTime() < deadline) {
                Thread.sleep(50);
            }
            assertEquals(destinations, many.closedConnections.get());
            assertEquals(0, keys, "keys left in the pool after every idle connection closed");
        }
    }

    /** Keys to these ports the pool holds, over every loop of the origin group (read on each loop). */
    private static int pooledKeys(java.util.Set<Integer> ports) throws Exception {
        int n = 0;
        for (io.netty.util.concurrent.EventExecutor e : link.originGroup) {
            EventLoop loop = (EventLoop) e;
            n += loop.submit(() -> (int) link.service.pool().keys(loop).stream().filter(k -> ports.contains(k.port())).count()).get();
        }
        return n;
    }

    @Test
    void connectionSpecificHeadersDoNotBreakPooling() throws Exception {
        ConnectRequest cr = to(origin.port()).build();
        var req = TestLink.request(HttpMethod.GET, cr, "/conn");
        req.headers().set(HttpHeaderNames.CONNECTION, "close");
        // Connection is hop-by-hop: the connector drops it, so the origin keeps the connection alive.
        String a = link.open(req, true, null).bodyText();
        String b = link.get(cr, "/conn").bodyText();
        assertEquals(a, b);
    }
}
