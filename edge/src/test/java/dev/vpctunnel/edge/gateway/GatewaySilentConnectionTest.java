package dev.vpctunnel.edge.gateway;

import dev.vpctunnel.core.net.Transports;
import dev.vpctunnel.edge.metrics.EdgeMetrics;
import io.netty.channel.EventLoopGroup;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The gateway's clock for a new connection (30 s in production, shortened here): from accept, not from the first
 * byte, so silent connections cannot hold the edge's file descriptors for the 300 s idle time; a keep-alive connection
 * between requests still has the idle time. No directory: the requests here carry no token (401 before any lookup).
 */
class GatewaySilentConnectionTest {
    private static final long HEAD_MS = 2_400;
    private static final long IDLE_MS = 6_000;
    private static EventLoopGroup group;
    private static GatewayServer gateway;

    @BeforeAll
    static void setUp() throws Exception {
        // read per connection: only connections opened while they are set use them
        System.setProperty("vpctunnel.gateway.headTimeoutMs", Long.toString(HEAD_MS));
        System.setProperty("vpctunnel.gateway.idleMs", Long.toString(IDLE_MS));
        group = Transports.group(1, "t-gw-silent");
        gateway = GatewayServer.start(new InetSocketAddress("127.0.0.1", 0), group, () -> null, null, new EdgeMetrics(),
                Duration.ofSeconds(1), Duration.ofSeconds(1));
    }

    @AfterAll
    static void tearDown() {
        System.clearProperty("vpctunnel.gateway.headTimeoutMs");
        System.clearProperty("vpctunnel.gateway.idleMs");
        gateway.close();
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    @Test
    void aConnectionThatSendsNothingIsClosedAfterTheHeadTimeoutWithoutAnAnswer() throws Exception {
        try (Socket s = connect()) {
            long t0 = System.nanoTime();
            byte[] got = s.getInputStream().readAllBytes(); // until the gateway closes (the read timeout fails the test)
            long ms = (System.nanoTime() - t0) / 1_000_000;
            assertEquals("", new String(got, StandardCharsets.ISO_8859_1), "nothing asked, nothing answered");
            assertTrue(ms >= HEAD_MS - 200 && ms < IDLE_MS - 1_000, "closed after " + ms + " ms");
        }
    }

    @Test
    void theFirstHeadIsTimedFromAcceptNotFromItsFirstByte() throws Exception {
        try (Socket s = connect()) {
            long t0 = System.nanoTime();
            Thread.sleep(HEAD_MS * 2 / 3);
            s.getOutputStream().write("GET http://echo.internal/x HTTP/1.1\r\n".getBytes(StandardCharsets.US_ASCII));
            String got = new String(s.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
            long ms = (System.nanoTime() - t0) / 1_000_000;
            assertTrue(got.startsWith("HTTP/1.1 408 Request Timeout"), "after " + ms + " ms: " + got);
            // from the first byte it would be HEAD_MS * 5/3 (4 s) or more: the rest is room for a busy machine
            assertTrue(ms >= HEAD_MS - 200 && ms < HEAD_MS * 5 / 3 - 200, "408 after " + ms + " ms from accept");
        }
    }

    /** Workers pool their connections: between two requests the idle time holds, not the head's clock. */
    @Test
    void aKeepAliveConnectionBetweenRequestsHasTheIdleTime() throws Exception {
        try (Socket s = connect()) {
            s.getOutputStream().write("GET http://echo.internal/x HTTP/1.1\r\nHost: echo.internal\r\n\r\n"
                    .getBytes(StandardCharsets.US_ASCII));
            String head = readHead(s.getInputStream());
            assertTrue(head.startsWith("HTTP/1.1 401"), head);
            long t0 = System.nanoTime();
            byte[] rest = s.getInputStream().readAllBytes();
            long ms = (System.nanoTime() - t0) / 1_000_000;
            int length = Integer.parseInt(head.replaceAll("(?is).*content-length: *(\\d+).*", "$1"));
            assertEquals(length, rest.length, "the 401's body, then nothing");
            assertTrue(ms >= IDLE_MS - 200, "closed " + ms + " ms after the answer");
        }
    }

    /**
     * A later head is timed from its first byte: a worker that trickles it (a byte every 200 ms keeps the idle clock
     * away) gets 408. The answers were once counted where they are bytes already, so after the first request the
     * connection seemed to wait for one for ever and such a head was never cut off.
     */
    @Test
    void aLaterHeadTrickledOnAKeepAliveConnectionGets408() throws Exception {
        try (Socket s = connect()) {
            s.getOutputStream().write("GET http://echo.internal/x HTTP/1.1\r\nHost: echo.internal\r\n\r\n"
                    .getBytes(StandardCharsets.US_ASCII));
            String head = readHead(s.getInputStream());
            assertTrue(head.startsWith("HTTP/1.1 401"), head);
            int length = Integer.parseInt(head.replaceAll("(?is).*content-length: *(\\d+).*", "$1"));
            assertEquals(length, s.getInputStream().readNBytes(length).length);
            byte[] next = ("GET http://echo.internal/y HTTP/1.1\r\nx-pad: " + "a".repeat(100)).getBytes(StandardCharsets.US_ASCII);
            s.setSoTimeout(200);
            StringBuilder got = new StringBuilder();
            long t0 = System.nanoTime();
            for (int i = 0; i < next.length && got.length() == 0; i++) { // at most 130 x 200 ms, under the idle time's reach
                try {
                    s.getOutputStream().write(next[i]);
                    byte[] buf = new byte[1024];
                    int n = s.getInputStream().read(buf);
                    if (n < 0) {
                        break;
                    }
                    got.append(new String(buf, 0, n, StandardCharsets.ISO_8859_1));
                } catch (java.net.SocketTimeoutException nothingYet) {
                    // 200 ms passed
                } catch (java.io.IOException closed) {
                    break;
                }
            }
            long ms = (System.nanoTime() - t0) / 1_000_000;
            assertTrue(got.toString().startsWith("HTTP/1.1 408 Request Timeout"), "after " + ms + " ms: " + got);
            assertTrue(ms >= HEAD_MS - 200 && ms < HEAD_MS + 1_500, "408 after " + ms + " ms from the head's first byte");
        }
    }

    private static Socket connect() throws Exception {
        Socket s = new Socket(InetAddress.getLoopbackAddress(), gateway.port());
        s.setSoTimeout((int) IDLE_MS + 5_000);
        return s;
    }

    /** The response head, up to its empty line (bounded: a head is small). */
    private static String readHead(InputStream in) throws Exception {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        for (int i = 0; i < 64 * 1024; i++) {
            int b = in.read();
            if (b < 0) {
                break;
            }
            head.write(b);
            if (head.toString(StandardCharsets.ISO_8859_1).endsWith("\r\n\r\n")) {
                break;
            }
        }
        return head.toString(StandardCharsets.ISO_8859_1);
    }
}
