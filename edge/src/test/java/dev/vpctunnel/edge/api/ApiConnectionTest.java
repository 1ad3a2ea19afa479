package dev.vpctunnel.edge.api;

import dev.vpctunnel.edge.directory.Directory;
import dev.vpctunnel.edge.directory.InitResult;
import dev.vpctunnel.edge.routing.LinkRegistry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

import static dev.vpctunnel.core.testing.RawSocket.readResponse;
import static dev.vpctunnel.core.testing.RawSocket.readToEof;
import static dev.vpctunnel.core.testing.RawSocket.send;
import static dev.vpctunnel.core.testing.RawSocket.statuses;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/** The admin API's connections on a real socket: how long a request may take to arrive, and pipelining. */
class ApiConnectionTest extends ApiSocketTestBase {
    /** Sends one more byte every 50 ms (never idle); the time until the server closed, or fails after 5 s. */
    private static long trickleUntilClosed(Socket s, String bytes) throws IOException {
        s.setSoTimeout(50);
        long t0 = System.nanoTime();
        for (int i = 0; System.nanoTime() - t0 < TimeUnit.SECONDS.toNanos(5); i++) {
            try {
                send(s, String.valueOf(bytes.charAt(i % bytes.length())));
                if (s.getInputStream().read() < 0) {
                    return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
                }
            } catch (SocketTimeoutException e) {
                // still open
            } catch (IOException e) {
                return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
            }
        }
        return fail("a request trickled in for 5 s and the connection stayed open");
    }

    @Test
    void aHeadSentOneByteAtATimeIsCutOff() throws Exception {
        start(Duration.ofMillis(800));
        Socket s = connect();
        send(s, "GET /client/v4/accounts/" + account + "/cfd_tunnel HTTP/1.1\r\n");
        long ms = trickleUntilClosed(s, "X-Slow: aaaaaaaaaaaaaaaaaaaaaaaaa\r\n");
        assertTrue(ms < 3000, "closed after " + ms + " ms, the deadline is 800 ms");
    }

    @Test
    void aBodySentOneByteAtATimeIsCutOff() throws Exception {
        start(Duration.ofMillis(800));
        Socket s = connect();
        send(s, "POST /client/v4/accounts/" + account + "/cfd_tunnel HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "
                + token + "\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{\"name\":\"");
        long ms = trickleUntilClosed(s, "a");
        assertTrue(ms < 3000, "closed after " + ms + " ms, the deadline is 800 ms");
        assertEquals("[]", directory.data().tunnels(account).toString(), "nothing was created");
    }

    @Test
    void aConnectionThatNeverSendsARequestIsClosed() throws Exception {
        start(Duration.ofMillis(500));
        assertEquals("", readToEof(connect(), Duration.ofSeconds(3)));
    }

    @Test
    void requestsInTimeAreAnsweredAndTheNextSlowOneIsCutOff() throws Exception {
        start(Duration.ofMillis(800));
        Socket s = connect();
        for (int i = 0; i < 3; i++) {
            Thread.sleep(500); // idle between requests is not a slow request
            send(s, get("/cfd_tunnel"));
            String r = readResponse(s);
            assertTrue(r.startsWith("HTTP/1.1 200 OK\r\n"), r);
        }
        send(s, "GET /client/v4/accounts/" + account + "/cfd_tunnel HTTP/1.1\r\n");
        long ms = trickleUntilClosed(s, "X-Slow: aaaaaaaaaaaaaaaaaaaaaaaaa\r\n");
        assertTrue(ms < 3000, "closed after " + ms + " ms, the deadline is 800 ms");
    }

    @Test
    void aRequestPipelinedBeforeAMalformedOneIsAnsweredThenThe400() throws Exception {
        start(Duration.ofSeconds(30));
        Socket s = connect();
        String body = "{\"name\":\"pipelined-ghost\"}";
        send(s, "POST /client/v4/accounts/" + account + "/cfd_tunnel HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + token
                + "\r\nContent-Type: application/json\r\nContent-Length: " + body.length() + "\r\n\r\n" + body
                + "GET / HTTP/1.1\r\nBad Header\r\n\r\n");
        String all = readToEof(s, Duration.ofSeconds(5));
        assertEquals(List.of("200", "400"), statuses(all), all);
        assertTrue(all.contains("pipelined-ghost"), "the client sees the tunnel it created: " + all);
        assertTrue(all.endsWith("malformed HTTP request\"}],\"messages\":[],\"result\":null}"), all);
        assertEquals(1, directory.data().tunnels(account).size());
    }

    @Test
    void headsTheApiCannotTrustAreRefusedWithTheirOwnStatusAndNothingAfterThemRuns() throws Exception {
        start(Duration.ofSeconds(30));
        String body = "{\"name\":\"should-not-exist\"}";
        String post = "POST /client/v4/accounts/" + account + "/cfd_tunnel HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + token
                + "\r\nContent-Type: application/json\r\nContent-Length: " + body.length() + "\r\n\r\n" + body;
        String[][] cases = {
            {post.replace("HTTP/1.1", "HTTP/7.0"), "505", "HTTP version HTTP/7.0 not supported"},
            {post.replace("HTTP/1.1", "HTTP/1.2"), "505", "HTTP version HTTP/1.2 not supported"},
            {post.replace("Host: x\r\n", "Host: x\r\nX-Big: " + "a".repeat(20_000) + "\r\n"), "431", "request headers too large"},
            {post.replace("Host: x\r\n", "Host: x\r\nAuthorization: Bearer wrong\r\n"), "400", "more than one Authorization header"},
            {get("/cfd_tunnel").replace("Host: x\r\n", "Host: x\r\nAuthorization: Bearer " + token + "\r\n"), "400",
                "more than one Authorization header"},
        };
        for (String[] c : cases) {
            Socket s = connect();
            send(s, c[0] + post); // a good request pipelined after it must not run
            String all = readToEof(s, Duration.ofSeconds(5));
            assertEquals(List.of(c[1]), statuses(all), all);
            assertTrue(all.contains(c[2]) && all.contains("\"success\":false"), all);
        }
        Thread.sleep(300);
        assertEquals(0, directory.data().tunnels(account).size(), "no request after a refused head was carried out");
    }

    /** RFC 9112 9.6: after an answer with Connection: close, nothing more on that connection is acted on. */
    @Test
    void aRequestPipelinedAfterA413IsNotCarriedOut() throws Exception {
        start(Duration.ofSeconds(30));
        Socket s = connect();
        int big = 2 * 1024 * 1024;
        String body = "{\"name\":\"after-413\"}";
        java.io.OutputStream out = s.getOutputStream();
        out.write(("POST /client/v4/accounts/" + account + "/cfd_tunnel HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + token
                + "\r\nContent-Type: application/json\r\nContent-Length: " + big + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
        out.write(new byte[big]);
        out.write(("POST /client/v4/accounts/" + account + "/cfd_tunnel HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + token
                + "\r\nContent-Type: application/json\r\nContent-Length: " + body.length() + "\r\n\r\n" + body)
                .getBytes(StandardCharsets.US_ASCII));
        out.flush();
        String all = readToEof(s, Duration.ofSeconds(8));
        assertEquals(List.of("413"), statuses(all), all);
        Thread.sleep(500); // the pipelined request, if it ran, ran before the connection closed
        assertEquals(0, directory.data().tunnels(account).size(), "no tunnel was created after the 413");
    }

    @Test
    void answersToPipelinedGetsBeforeAMalformedRequestGoOutInOrder() throws Exception {
        start(Duration.ofSeconds(30));
        Socket s = connect();
        send(s, get("/cfd_tunnel") + get("/nope") + get("/cfd_tunnel") + "GET / HTTP/1.1\r\nBad Header\r\n\r\n"
                + get("/cfd_tunnel"));
        String all = readToEof(s, Duration.ofSeconds(5));
        assertEquals(List.of("200", "404", "200", "400"), statuses(all), "nothing after the malformed one: " + all);
    }

    /**
     * Connections past the limit get a 503 in the API's envelope and are closed; the API serves again once one closed.
     * Each connection may hold a body of up to 1 MiB before its token is checked: before the limit, 500 connections
     * that never finished their bodies could hold 500 MiB.
     */
    @Test
    void connectionsPastTheLimitGetA503AndClose() throws Exception {
        start(Duration.ofSeconds(30), 2);
        Socket first = connect();
        Socket second = connect();
        send(first, get("/cfd_tunnel"));
        send(second, "POST /client/v4/accounts/" + account + "/cfd_tunnel HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000\r\n\r\n");
        Socket third = connect();
        send(third, get("/cfd_tunnel"));
        String busy = readToEof(third, Duration.ofSeconds(5));
        assertEquals(List.of("503"), statuses(busy), busy);
        Socket silent = connect(); // past the limit and sending nothing: closed after 10 s, not held
        long t0 = System.nanoTime();
        assertEquals("", readToEof(silent, Duration.ofSeconds(20)));
        long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
        assertTrue(ms >= 9_000 && ms < 15_000, "closed after " + ms + " ms");
        assertTrue(busy.contains("\"code\":1503") && busy.contains("2 connections at once"), busy);
        first.close();
        Socket fourth = null;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        String again = "";
        while (System.nanoTime() < deadline) { // the first's close is counted on the server's loop
            fourth = connect();
            send(fourth, get("/cfd_tunnel").replace("HTTP/1.1\r\n", "HTTP/1.1\r\nConnection: close\r\n"));
            again = readToEof(fourth, Duration.ofSeconds(5));
            if (!statuses(again).equals(List.of("503"))) {
                break;
            }
            Thread.sleep(100);
        }
        assertEquals(List.of("200"), statuses(again), again);
        // the second (no token) got its 401 on its head alone and was closed, its body never read
        String secondAnswer = readToEof(second, Duration.ofSeconds(10));
        assertEquals(List.of("401"), statuses(secondAnswer), secondAnswer);
    }

    /** A request without a valid token gets its 401 and the connection closes: it would hold one of the API's few. */
    @Test
    void aRequestWithoutAValidTokenClosesItsConnection() throws Exception {
        start(Duration.ofSeconds(30));
        Socket s = connect();
        send(s, get("/cfd_tunnel").replace("Bearer " + token, "Bearer wrong"));
        String all = readToEof(s, Duration.ofSeconds(5)); // keep-alive was asked for; the server closed anyway
        assertEquals(List.of("401"), statuses(all), all);
        Socket ok = connect();
        send(ok, get("/cfd_tunnel"));
        assertTrue(readResponse(ok).startsWith("HTTP/1.1 200"), "a valid token keeps its connection");
    }
}
