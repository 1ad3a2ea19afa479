package dev.vpctunnel.edge.gateway;

import dev.vpctunnel.core.net.Transports;
import dev.vpctunnel.core.testing.LogCapture;
import dev.vpctunnel.core.testing.RawSocket;
import dev.vpctunnel.edge.metrics.EdgeMetrics;
import io.netty.channel.EventLoopGroup;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The gateway holds at most its limit of worker connections (here 2, set by the property; by default three quarters
 * of the open-file limit): a new connection takes the place of the one idle longest, never of one with a request
 * under way, and is closed at once when none is idle. No directory: the requests carry no token (401, keep-alive).
 */
class GatewayConnectionLimitTest {
    private static final String REQUEST = "GET http://echo.internal/x HTTP/1.1\r\nHost: echo.internal\r\n\r\n";
    private EventLoopGroup group;
    private GatewayServer gateway;
    private EdgeMetrics metrics;

    @BeforeEach
    void setUp() throws Exception {
        System.setProperty(ConnectionLimit.PROPERTY, "2"); // read when the gateway starts
        try {
            group = Transports.group(2, "t-gw-limit");
            metrics = new EdgeMetrics();
            gateway = GatewayServer.start(new InetSocketAddress("127.0.0.1", 0), group, () -> null, null, metrics,
                    Duration.ofSeconds(1), Duration.ofSeconds(1));
        } finally {
            System.clearProperty(ConnectionLimit.PROPERTY);
        }
    }

    @AfterEach
    void tearDown() {
        gateway.close();
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    @Test
    void theConnectionIdleLongestMakesRoomAndOneWithARequestUnderWayNever() throws Exception {
        assertEquals(2, gateway.maxConnections());
        try (Socket silent = connect(); Socket a = connect()) {
            assertTrue(answered(a), "a keep-alive connection, idle after its answer");
            // both idle now; the one that never sent a byte is idle since its accept, longer than a's
            waitForIdle(2);
            try (Socket b = connect()) {
                assertClosed(silent, "the connection idle longest");
                assertTrue(answered(a), "the other idle connection is kept");
                assertTrue(answered(b), "the new connection is served");
                b.getOutputStream().write("GET http://echo.internal/x HTTP/1.1\r\n".getBytes(StandardCharsets.US_ASCII));
                // a has been idle longer than b now, and b has a head under way (once the gateway has read it and
                // marked a idle: the mark follows the answer's write, which a busy machine can delay past a's read)
                waitForIdle(1);
                try (Socket c = connect()) {
                    assertClosed(a, "idle longest");
                    c.getOutputStream().write("GET http://echo.internal/y HTTP/1.1\r\n".getBytes(StandardCharsets.US_ASCII));
                    waitForGauge("vpc_gateway_connections 2");
                    waitForIdle(0); // c's head was read: it is busy
                    try (LogCapture log = LogCapture.of(ConnectionLimit.class, Level.WARNING); Socket d = connect()) {
                        assertClosed(d, "none is idle: the new connection is closed at once");
                        assertTrue(log.messages().stream().anyMatch(m -> m.contains("holds 2 connections, its limit")),
                                log.messages().toString());
                    }
                    // the two with a request under way were left alone and finish it
                    b.getOutputStream().write("Host: echo.internal\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                    assertTrue(RawSocket.readResponse(b).startsWith("HTTP/1.1 401"));
                    c.getOutputStream().write("Host: echo.internal\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                    assertTrue(RawSocket.readResponse(c).startsWith("HTTP/1.1 401"));
                }
            }
        }
        waitForGauge("vpc_gateway_connections 0");
        assertTrue(scrape().contains("vpc_gateway_connections_limit 2"), scrape());
    }

    @Test
    void aClosedConnectionGivesItsPlaceBack() throws Exception {
        for (int i = 0; i < 5; i++) { // one at a time, each closed by the client: never at the limit
            try (Socket s = connect()) {
                s.getOutputStream().write("GET http://echo.internal/x HTTP/1.1\r\n".getBytes(StandardCharsets.US_ASCII));
                waitForGauge("vpc_gateway_connections 1");
            }
            waitForGauge("vpc_gateway_connections 0");
        }
        try (Socket a = connect(); Socket b = connect()) {
            a.getOutputStream().write("GET http://echo.internal/x HTTP/1.1\r\n".getBytes(StandardCharsets.US_ASCII));
            b.getOutputStream().write("GET http://echo.internal/x HTTP/1.1\r\n".getBytes(StandardCharsets.US_ASCII));
            waitForGauge("vpc_gateway_connections 2");
            waitForIdle(0); // both heads read
            try (Socket c = connect()) {
                assertClosed(c, "both busy");
            }
            a.getOutputStream().write("Host: echo.internal\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            assertTrue(RawSocket.readResponse(a).startsWith("HTTP/1.1 401"));
        }
    }

    /**
     * An h2c connection with no stream open is idle too, whatever it sent: here one that began a header block and
     * never ended it (HEADERS without END_HEADERS, no CONTINUATION), which opens no stream until it ends.
     */
    @Test
    void anH2cConnectionWithoutAnOpenStreamMakesRoom() throws Exception {
        try (Socket h2c = connect(); Socket a = connect()) {
            java.io.OutputStream out = h2c.getOutputStream();
            out.write("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            out.write(new byte[] {0, 0, 0, 4, 0, 0, 0, 0, 0}); // SETTINGS, empty
            // HEADERS on stream 1, END_STREAM but not END_HEADERS: ":method: GET" (static table index 2)
            out.write(new byte[] {0, 0, 1, 1, 1, 0, 0, 0, 1, (byte) 0x82});
            out.flush();
            Thread.sleep(200); // read by the gateway
            assertTrue(answered(a));
            a.getOutputStream().write("GET http://echo.internal/x HTTP/1.1\r\n".getBytes(StandardCharsets.US_ASCII));
            waitForGauge("vpc_gateway_connections 2");
            waitForIdle(1); // a's head read: only the h2c connection is idle
            try (Socket b = connect()) {
                h2c.setSoTimeout(5_000);
                byte[] got = h2c.getInputStream().readNBytes(64 * 1024); // its SETTINGS and ACK, then the close
                assertTrue(got.length < 64 * 1024, "closed to make room");
                assertTrue(answered(b), "the new connection is served");
            }
        }
    }

    /** Sends a request on a keep-alive connection and reads its whole answer: true for the gateway's 401. */
    private static boolean answered(Socket s) throws Exception {
        RawSocket.send(s, REQUEST);
        return RawSocket.readResponse(s).startsWith("HTTP/1.1 401");
    }

    private static void assertClosed(Socket s, String why) throws Exception {
        s.setSoTimeout(5_000);
        int got;
        try {
            got = s.getInputStream().read();
        } catch (java.net.SocketException reset) {
            return; // closed with a reset: closed all the same
        } catch (SocketTimeoutException e) {
            throw new AssertionError(why + ": still open after 5 s", e);
        }
        assertEquals(-1, got, why + ": closed without an answer");
    }

    /** Until the gateway counts {@code n} connections idle (heads read, answers' writes done). */
    private void waitForIdle(int n) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (gateway.connections().idle() != n) {
            assertTrue(System.nanoTime() < deadline, gateway.connections().idle() + " connections idle, not " + n);
            Thread.sleep(10);
        }
    }

    private void waitForGauge(String line) throws Exception {
        line = line + ".0"; // the text format's numbers are doubles
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (!scrape().contains(line + "\n") && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertTrue(scrape().contains(line + "\n"), "no \"" + line + "\" in " + scrape());
    }

    private String scrape() throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        PrometheusTextFormatWriter.create().write(out, metrics.registry().scrape());
        return out.toString(StandardCharsets.UTF_8);
    }

    private Socket connect() throws Exception {
        Socket s = new Socket(InetAddress.getLoopbackAddress(), gateway.port());
        s.setSoTimeout(10_000);
        return s;
    }
}
