package dev.vpctunnel.core.metrics;

import dev.vpctunnel.core.net.Transports;
import dev.vpctunnel.core.testing.ClientSockets;
import io.netty.channel.EventLoopGroup;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static dev.vpctunnel.core.testing.RawSocket.readResponse;
import static dev.vpctunnel.core.testing.RawSocket.readToEof;
import static dev.vpctunnel.core.testing.RawSocket.send;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/** The metrics listener on a real socket: slow or stuck clients are closed; what it answers. */
class MetricsServerTest {
    private final EventLoopGroup group = Transports.group(1, "metrics-test");
    private final ClientSockets sockets = new ClientSockets();
    private MetricsServer server;
    private volatile Readiness readiness = new Readiness(true, 2, "connectorId", "c-1");

    @AfterEach
    void stop() throws Exception {
        sockets.close();
        if (server != null) {
            server.close();
        }
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
    }

    private void start(Duration request, Duration idle) throws InterruptedException {
        PrometheusRegistry registry = new PrometheusRegistry();
        Counter.builder().name("test_things").help("things").register(registry).inc();
        server = MetricsServer.start(new InetSocketAddress("127.0.0.1", 0), group, registry,
                () -> readiness, request, idle);
    }

    private Socket connect() throws IOException {
        return sockets.connect(server.port());
    }

    @Test
    void connectionsThatNeverFinishTheRequestLineAreClosed() throws Exception {
        start(Duration.ofMillis(500), Duration.ofSeconds(60));
        List<Socket> stuck = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            Socket s = connect();
            send(s, "GET /metr");
            stuck.add(s);
        }
        for (Socket s : stuck) {
            assertEquals("", readToEof(s, Duration.ofSeconds(3)));
        }
    }

    @Test
    void aConnectionThatSendsNothingIsClosed() throws Exception {
        start(Duration.ofMillis(500), Duration.ofSeconds(60));
        assertEquals("", readToEof(connect(), Duration.ofSeconds(3)));
    }

    @Test
    void oneByteAtATimeDoesNotKeepARequestAlive() throws Exception {
        start(Duration.ofMillis(800), Duration.ofSeconds(60));
        Socket s = connect();
        send(s, "GET /metrics HTTP/1.1\r\n");
        s.setSoTimeout(50);
        long t0 = System.nanoTime();
        boolean closed = false;
        while (!closed && System.nanoTime() - t0 < TimeUnit.SECONDS.toNanos(4)) {
            try {
                send(s, "X"); // a header name that never ends, a byte every ~50 ms: never idle
                closed = s.getInputStream().read() < 0;
            } catch (SocketTimeoutException e) {
                // still open
            } catch (IOException e) {
                closed = true;
            }
        }
        long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
        assertTrue(closed, "a request trickled in for 4 s without being closed");
        assertTrue(ms >= 500 && ms < 3000, "closed after " + ms + " ms, the deadline is 800 ms");
    }

    @Test
    void keepAliveRequestsAreAnsweredThenAnIdleConnectionIsClosed() throws Exception {
        start(Duration.ofMillis(700), Duration.ofMillis(700));
        Socket s = connect();
        for (int i = 0; i < 3; i++) {
            Thread.sleep(400); // each request within its deadline, the connection never idle for long
            send(s, "GET /ready HTTP/1.1\r\nHost: x\r\n\r\n");
            String r = readResponse(s);
            assertTrue(r.startsWith("HTTP/1.1 200 OK\r\n"), r);
            assertTrue(r.endsWith("\r\n\r\n{\"status\":200,\"readyConnections\":2,\"connectorId\":\"c-1\"}\n"), r);
        }
        send(s, "GET /healthcheck HTTP/1.1\r\nHost: x\r\n\r\n");
        String h = readResponse(s);
        assertTrue(h.startsWith("HTTP/1.1 200 OK\r\n") && h.endsWith("\r\n\r\nOK\n"), h);
        send(s, "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n");
        String r = readResponse(s);
        assertTrue(r.startsWith("HTTP/1.1 200 OK\r\n") && r.contains("test_things_total 1.0"), r);
        long t0 = System.nanoTime();
        assertEquals("", readToEof(s, Duration.ofSeconds(3)));
        long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
        assertTrue(ms >= 400, "idle connection closed after " + ms + " ms, the idle timeout is 700 ms");
    }

    @Test
    void readyAnswersAsCloudflaredWith503WhileNoLinkServes() throws Exception {
        start(Duration.ofSeconds(10), Duration.ofSeconds(60));
        readiness = new Readiness(false, 0, "edgeId", "host:7844");
        Socket s = connect();
        send(s, "GET /ready HTTP/1.1\r\nHost: x\r\n\r\n");
        String r = readResponse(s);
        assertTrue(r.startsWith("HTTP/1.1 503 Service Unavailable\r\n") && r.contains("content-type: application/json\r\n")
                && r.endsWith("\r\n\r\n{\"status\":503,\"readyConnections\":0,\"edgeId\":\"host:7844\"}\n"), r);
    }

    private String badRequest(String request) throws Exception {
        start(Duration.ofSeconds(10), Duration.ofSeconds(60));
        Socket s = connect();
        send(s, request);
        return readToEof(s, Duration.ofSeconds(3)); // answered, then closed
    }

    @Test
    void aMalformedHeaderLineIs400ThenClose() throws Exception {
        String r = badRequest("GET /metrics HTTP/1.1\r\nBad Header\r\n\r\n");
        assertTrue(r.startsWith("HTTP/1.1 400 Bad Request\r\n"), r);
        assertTrue(r.toLowerCase().contains("connection: close\r\n"), r);
        assertTrue(r.endsWith("malformed HTTP request\n"), r);
    }

    @Test
    void garbageIs400ThenClose() throws Exception {
        String r = badRequest("\u0016\u0003\u0001\u0002\u0000\u0001\u0000\u01fc\u0003\u0003 not http at all\r\n\r\n");
        assertTrue(r.startsWith("HTTP/1.1 400 Bad Request\r\n"), r);
    }

    @Test
    void aHugeHeaderIs431ThenClose() throws Exception {
        String r = badRequest("GET /metrics HTTP/1.1\r\nX-Big: " + "a".repeat(200 * 1024) + "\r\n\r\n");
        assertTrue(r.startsWith("HTTP/1.1 431 Request Header Fields Too Large\r\n"), r);
    }

    @Test
    void aHugeRequestLineIs414ThenClose() throws Exception {
        String r = badRequest("GET /" + "a".repeat(20 * 1024) + " HTTP/1.1\r\n\r\n");
        assertTrue(r.startsWith("HTTP/1.1 414 "), r);
    }

    @Test
    void aGoodRequestBeforeABadOneIsStillAnswered() throws Exception {
        String r = badRequest("GET /ready HTTP/1.1\r\nHost: x\r\n\r\nGET / HTTP/1.1\r\nBad Header\r\n\r\n");
        assertTrue(r.startsWith("HTTP/1.1 200 OK\r\n"), r);
        assertTrue(r.contains("\"c-1\"}\nHTTP/1.1 400 Bad Request\r\n"), r);
    }
}
