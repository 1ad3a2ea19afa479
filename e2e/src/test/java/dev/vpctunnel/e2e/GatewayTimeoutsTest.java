package dev.vpctunnel.e2e;

import dev.vpctunnel.core.net.Transports;
import dev.vpctunnel.edge.directory.ServiceBinding;
import dev.vpctunnel.edge.directory.ServiceRecord;
import dev.vpctunnel.edge.directory.TunnelRecord;
import io.netty.channel.Channel;
import io.netty.channel.EventLoopGroup;
import io.netty.handler.codec.http2.DefaultHttp2PingFrame;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.handler.codec.http2.Http2Settings;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The gateway's two clocks on a worker connection, shortened for the test (300 s idle, 30 s per request head in
 * production): a fetch waiting for a slow origin is not idleness, a trickled request head is cut off with 408, a
 * slowly streamed body is not timed.
 */
class GatewayTimeoutsTest {
    private static final long IDLE_MS = 1_000;
    private static final long HEAD_MS = 1_000;
    private static final long ORIGIN_DELAY_MS = 3_000;
    private static GatewayFixture f;
    private static TestOrigins origins;
    private static ServerSocket slowOrigin;
    private static String token;

    @BeforeAll
    static void setUp() throws Exception {
        // read per connection: only connections opened while they are set use them
        System.setProperty("vpctunnel.gateway.idleMs", Long.toString(IDLE_MS));
        System.setProperty("vpctunnel.gateway.headTimeoutMs", Long.toString(HEAD_MS));
        origins = new TestOrigins();
        slowOrigin = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread t = new Thread(() -> {
            while (!slowOrigin.isClosed()) {
                Socket accepted;
                try {
                    accepted = slowOrigin.accept();
                } catch (Exception e) {
                    continue; // closed: the loop ends
                }
                Thread conn = new Thread(() -> {
                    try (Socket s = accepted) {
                        InputStream in = s.getInputStream();
                        while (in.read(new byte[8192]) > 0) { // one request per read: the tests' are small
                            Thread.sleep(ORIGIN_DELAY_MS); // a long poll: nothing at all until then
                            OutputStream out = s.getOutputStream();
                            out.write("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nlater".getBytes(StandardCharsets.US_ASCII));
                            out.flush();
                        }
                    } catch (Exception e) {
                        // the connector went away
                    }
                }, "slow-origin-conn");
                conn.setDaemon(true);
                conn.start();
            }
        }, "slow-origin");
        t.setDaemon(true);
        t.start();
        f = new GatewayFixture();
        TunnelRecord tunnel = f.tunnel("t");
        f.connect(tunnel, 1, List.of());
        ServiceRecord slow = f.service("slow", slowOrigin.getLocalPort(), null, "127.0.0.1", null, tunnel.id());
        ServiceRecord echo = f.service("echo", origins.echoPort(), null, "127.0.0.1", null, tunnel.id());
        token = f.worker("w", List.of(new ServiceBinding("SLOW", slow.id()), new ServiceBinding("ECHO", echo.id())));
    }

    @AfterAll
    static void tearDown() throws Exception {
        System.clearProperty("vpctunnel.gateway.idleMs");
        System.clearProperty("vpctunnel.gateway.headTimeoutMs");
        f.close();
        origins.close();
        slowOrigin.close();
    }

    @Test
    void aFetchWaitingForItsOriginOutlivesTheIdleTimeout() throws Exception {
        long t0 = System.nanoTime();
        RawHttp.Response r = f.fetch(token, "SLOW", "http://slow.internal/poll", "", null);
        assertEquals(200, r.status(), r.text());
        assertEquals("later", r.text());
        assertTrue(System.nanoTime() - t0 >= ORIGIN_DELAY_MS * 1_000_000, "the origin's delay was waited out");
    }

    @Test
    void anIdleConnectionIsStillClosed() throws Exception {
        try (Socket s = new Socket(InetAddress.getLoopbackAddress(), f.gateway.port())) {
            s.setSoTimeout(10_000);
            long t0 = System.nanoTime();
            assertEquals(-1, s.getInputStream().read());
            long ms = (System.nanoTime() - t0) / 1_000_000;
            assertTrue(ms >= IDLE_MS - 100 && ms < IDLE_MS + 4_000, "closed after " + ms + " ms");
        }
    }

    @Test
    void aTrickledRequestHeadGets408() throws Exception {
        try (Socket s = new Socket(InetAddress.getLoopbackAddress(), f.gateway.port())) {
            s.setSoTimeout(200);
            OutputStream out = s.getOutputStream();
            byte[] head = ("GET http://echo.internal/x HTTP/1.1\r\nProxy-Authorization: Bearer " + token
                    + "\r\ncf-vpc-binding: ECHO\r\nx-pad: " + "a".repeat(100)).getBytes(StandardCharsets.US_ASCII);
            StringBuilder got = new StringBuilder();
            long t0 = System.nanoTime();
            int eof = 0;
            // a byte every 200 ms (the read timeout) keeps the idle clock (1 s) away; the head's own clock (1 s) is what ends it
            for (int i = 0; i < head.length && eof == 0 && System.nanoTime() - t0 < 8_000_000_000L; i++) {
                try {
                    out.write(head[i]);
                } catch (java.io.IOException closed) {
                    break;
                }
                try {
                    int n;
                    byte[] buf = new byte[1024];
                    while ((n = s.getInputStream().read(buf)) > 0) {
                        got.append(new String(buf, 0, n, StandardCharsets.ISO_8859_1));
                    }
                    eof = n < 0 ? 1 : 0;
                } catch (java.net.SocketTimeoutException nothingYet) {
                    // 200 ms passed
                }
            }
            long ms = (System.nanoTime() - t0) / 1_000_000;
            assertTrue(got.toString().startsWith("HTTP/1.1 408 Request Timeout"), "after " + ms + " ms: " + got);
            assertTrue(got.toString().contains("request head not received within"), got.toString());
            assertTrue(ms >= HEAD_MS - 100 && ms < HEAD_MS + 3_000, "cut off after " + ms + " ms");
        }
    }

    /** Only a fetch that sent its whole request waits on the origin: an upload the worker stopped is its idleness. */
    @Test
    void aStalledUploadIsStillClosedWhenIdle() throws Exception {
        try (Socket s = new Socket(InetAddress.getLoopbackAddress(), f.gateway.port())) {
            s.setSoTimeout(10_000);
            s.getOutputStream().write(("POST http://echo.internal/stalled HTTP/1.1\r\nProxy-Authorization: Bearer " + token
                    + "\r\ncf-vpc-binding: ECHO\r\nContent-Length: 1000\r\n\r\n0123456789").getBytes(StandardCharsets.US_ASCII));
            long t0 = System.nanoTime();
            byte[] rest = s.getInputStream().readAllBytes(); // until the gateway closes
            long ms = (System.nanoTime() - t0) / 1_000_000;
            assertTrue(ms < IDLE_MS + 4_000, "closed after " + ms + " ms");
            assertTrue(!new String(rest, StandardCharsets.ISO_8859_1).startsWith("HTTP/1.1 200"), "no answer to half a body");
        }
    }

    /** The empty lines a client may send after a request (RFC 9112 2.2) start no head: no 408, just the idle close. */
    @Test
    void emptyLinesBetweenRequestsAreNoHead() throws Exception {
        try (Socket s = new Socket(InetAddress.getLoopbackAddress(), f.gateway.port())) {
            s.setSoTimeout(10_000);
            s.getOutputStream().write(("GET http://echo.internal/first HTTP/1.1\r\nProxy-Authorization: Bearer " + token
                    + "\r\ncf-vpc-binding: ECHO\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            assertEquals(200, RawHttp.read(s.getInputStream()).status());
            s.getOutputStream().write("\r\n".getBytes(StandardCharsets.US_ASCII));
            byte[] after = s.getInputStream().readAllBytes();
            assertEquals("", new String(after, StandardCharsets.ISO_8859_1), "closed as idle, without a 408");
        }
    }

    /** Empty lines and nothing else, a few bytes at a time: past 64 bytes they are timed as a head (a 408), not held for ever. */
    @Test
    void emptyLinesWithoutEndGet408() throws Exception {
        try (Socket s = new Socket(InetAddress.getLoopbackAddress(), f.gateway.port())) {
            s.setSoTimeout(100);
            OutputStream out = s.getOutputStream();
            StringBuilder got = new StringBuilder();
            long t0 = System.nanoTime();
            // a CRLF every 100 ms keeps the idle clock (1 s) away; 64 bytes take 3.2 s, past the head's clock (1 s)
            for (int i = 0; i < 100 && got.length() == 0; i++) {
                try {
                    out.write("\r\n".getBytes(StandardCharsets.US_ASCII));
                    byte[] buf = new byte[1024];
                    int n = s.getInputStream().read(buf);
                    if (n > 0) {
                        got.append(new String(buf, 0, n, StandardCharsets.ISO_8859_1));
                    }
                } catch (java.net.SocketTimeoutException nothingYet) {
                    // 100 ms passed
                } catch (java.io.IOException closed) {
                    break;
                }
            }
            long ms = (System.nanoTime() - t0) / 1_000_000;
            assertTrue(got.toString().startsWith("HTTP/1.1 408 Request Timeout"), "after " + ms + " ms: " + got);
            assertTrue(ms < 15_000, "after " + ms + " ms"); // 64 bytes at 20 a second, then at most the head's 1 s
        }
    }

    /**
     * An h2c worker that gives its streams no flow-control window and keeps the connection alive with PINGs: the
     * answer cannot go out, and the stream is reset after the idle time instead of being held without end.
     */
    @Test
    void anH2cStreamWhoseAnswerCannotGoOutIsResetWhenIdle() throws Exception {
        EventLoopGroup group = Transports.group(1, "t-h2c-window0");
        try {
            Channel conn = H2cProbe.connect(group, f.gateway.port(),
                    b -> b.initialSettings(Http2Settings.defaultSettings().initialWindowSize(0)));
            CompletableFuture<H2cProbe.Answer> end = new CompletableFuture<>();
            long t0 = System.nanoTime();
            H2cProbe.open(conn, get("http://echo.internal/held", "ECHO"), null, false, end);
            H2cProbe.Answer got = pingUntil(conn, end, IDLE_MS + 5_000);
            long ms = (System.nanoTime() - t0) / 1_000_000;
            assertEquals("200", got.status(), "after " + ms + " ms: " + got);
            assertEquals(Http2Error.CANCEL, got.reset(), "after " + ms + " ms: " + got);
            assertTrue(ms >= IDLE_MS - 100, "reset after " + ms + " ms");
            assertTrue(conn.isActive(), "the connection itself stays up");
        } finally {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        }
    }

    /** The same watch leaves an h2c stream alone while it waits on its origin (longer than the idle time). */
    @Test
    void anH2cStreamWaitingForItsOriginOutlivesTheIdleTimeout() throws Exception {
        EventLoopGroup group = Transports.group(1, "t-h2c-poll");
        try {
            Channel conn = H2cProbe.connect(group, f.gateway.port());
            CompletableFuture<H2cProbe.Answer> end = new CompletableFuture<>();
            H2cProbe.open(conn, get("http://slow.internal/poll", "SLOW"), null, false, end);
            H2cProbe.Answer got = pingUntil(conn, end, ORIGIN_DELAY_MS + 5_000);
            assertEquals("200", got.status(), got.toString());
            assertEquals("later", got.body(), got.toString());
            assertEquals(null, got.reset(), got.toString());
        } finally {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        }
    }

    /** An h2c GET of {@code url} through {@code binding}, with the worker's token. */
    private static Http2Headers get(String url, String binding) {
        java.net.URI u = java.net.URI.create(url);
        return H2cProbe.request("GET", u.getScheme(), u.getAuthority(), u.getPath())
                .add("proxy-authorization", "Bearer " + token).add("cf-vpc-binding", binding);
    }

    /** PINGs every 200 ms (activity on the connection) until the stream ends; fails after {@code maxMs}. */
    private static H2cProbe.Answer pingUntil(Channel conn, CompletableFuture<H2cProbe.Answer> end, long maxMs) throws Exception {
        long deadline = System.nanoTime() + maxMs * 1_000_000;
        for (long n = 1; System.nanoTime() < deadline && !end.isDone() && conn.isActive(); n++) {
            conn.writeAndFlush(new DefaultHttp2PingFrame(n));
            try {
                return end.get(200, TimeUnit.MILLISECONDS);
            } catch (TimeoutException next) {
                // ping again
            }
        }
        assertTrue(end.isDone(), conn.isActive() ? "no end of the stream within " + maxMs + " ms" : "the connection closed");
        return end.get();
    }

    @Test
    void aSlowlyStreamedBodyIsNotTimed() throws Exception {
        try (Socket s = new Socket(InetAddress.getLoopbackAddress(), f.gateway.port())) {
            s.setSoTimeout(10_000);
            OutputStream out = s.getOutputStream();
            out.write(("POST http://echo.internal/upload HTTP/1.1\r\nProxy-Authorization: Bearer " + token
                    + "\r\ncf-vpc-binding: ECHO\r\nContent-Length: 6\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            for (int i = 0; i < 6; i++) {
                Thread.sleep(400); // 2.4 s in all: longer than the head's clock, each gap shorter than the idle one
                out.write('x');
                out.flush();
            }
            RawHttp.Response r = RawHttp.read(s.getInputStream());
            assertEquals(200, r.status(), r.text());
            assertTrue(r.text().contains("body=6"), r.text());
        }
    }
}
