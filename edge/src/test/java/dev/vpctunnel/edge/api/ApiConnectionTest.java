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
class ApiConnectionTest {
    @TempDir
    Path tmp;
    private Directory directory;
    private AdminApiServer server;
    private String account;
    private String token;
    private final ExecutorService executor = Executors.newFixedThreadPool(2);
    private final List<Socket> sockets = new ArrayList<>();

    private void start(Duration requestTimeout) throws Exception {
        start(requestTimeout, ApiInitializer.MAX_CONNECTIONS);
    }

    private void start(Duration requestTimeout, int maxConnections) throws Exception {
        directory = Directory.open(tmp, null);
        InitResult r = directory.initialize();
        account = r.accountId();
        token = r.apiToken();
        server = AdminApiServer.start(new InetSocketAddress("127.0.0.1", 0), directory, LinkRegistry.NONE, executor,
                requestTimeout, maxConnections);
    }

    @AfterEach
    void stop() throws Exception {
        for (Socket s : sockets) {
            s.close();
        }
        if (server != null) {
            server.close();
        }
        if (directory != null) {
            directory.close();
        }
        executor.shutdownNow();
        executor.awaitTermination(5, TimeUnit.SECONDS);
    }

    private Socket connect() throws IOException {
        Socket s = new Socket("127.0.0.1", server.port());
        sockets.add(s);
        return s;
    }

    private String get(String path) {
        return "GET /client/v4/accounts/" + account + path + " HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + token
                + "\r\n\r\n";
    }

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
    private String postHead(String auth, String framing) {
        return "POST /client/v4/accounts/" + account + "/cfd_tunnel HTTP/1.1\r\nHost: x\r\n" + auth
                + "Content-Type: application/json\r\n" + framing + "\r\n";
    }

    /** Keeps both executor threads busy (a slow store) until the latch is counted down. */
    private java.util.concurrent.CountDownLatch blockExecutor() {
        java.util.concurrent.CountDownLatch busy = new java.util.concurrent.CountDownLatch(1);
        for (int i = 0; i < 2; i++) {
            executor.execute(() -> {
                try {
                    busy.await(10, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
        }
        return busy;
    }

    /**
     * A 413 goes out after the answers to the requests pipelined before it (written at once, it overtook a slow one,
     * whose answer was then lost behind the shut output though it ran), and nothing after it is looked at, not even
     * its token (review of the gate: each later request was still checked against the store).
     */
    @Test
    void a413WaitsForTheAnswersBeforeItAndEndsTheConnection() throws Exception {
        start(Duration.ofSeconds(30));
        java.util.concurrent.CountDownLatch busy = blockExecutor();
        String ok = "{\"name\":\"before-413\"}";
        StringBuilder after = new StringBuilder();
        for (int i = 0; i < 20; i++) {
            after.append(postHead("Authorization: Bearer " + token + "\r\n", "Content-Length: 2\r\n")).append("{}");
        }
        Socket s = connect();
        send(s, postHead("Authorization: Bearer " + token + "\r\n", "Content-Length: " + ok.length() + "\r\n") + ok
                + postHead("Authorization: Bearer " + token + "\r\n", "Content-Length: 2097152\r\n") + after);
        Thread.sleep(300);
        long tasks = ((java.util.concurrent.ThreadPoolExecutor) executor).getTaskCount();
        busy.countDown();
        String all = readToEof(s, Duration.ofSeconds(8));
        assertEquals(List.of("200", "413"), statuses(all), all);
        assertEquals(1, directory.data().tunnels(account).size(), "the POST before the 413 ran, none after it");
        // since the snapshot (the first POST's check was queued before it): its run, the 413's own check and its answer;
        // nothing for the 20 after it
        assertTrue(((java.util.concurrent.ThreadPoolExecutor) executor).getTaskCount() - tasks <= 3,
                "executor tasks after the 413: " + (((java.util.concurrent.ThreadPoolExecutor) executor).getTaskCount() - tasks));
    }

    /** A body is not read before its token is checked: a made-up or missing token gets its 401 on the head alone. */
    @Test
    void aRequestWithoutAValidTokenIsRefusedBeforeItsBody() throws Exception {
        start(Duration.ofSeconds(30));
        for (String[] c : new String[][]{{"Authorization: Bearer made-up\r\n", "Content-Length: 900000\r\n"},
                {"", "Content-Length: 900000\r\n"},
                {"Authorization: Basic eDp5\r\n", "Transfer-Encoding: chunked\r\n"},
                {"Authorization: Bearer made-up\r\n", "Content-Length: 900000\r\nExpect: 100-continue\r\n"}}) {
            Socket s = connect();
            send(s, postHead(c[0], c[1]));
            String answer = readResponse(s); // within 5 s; before, it waited for the body (up to the 30 s deadline)
            assertTrue(answer.startsWith("HTTP/1.1 401") && answer.contains("connection: close"), c[0] + c[1] + answer);
            // what the client still sends is read and dropped: no reset takes the answer away, and the server closes
            s.getOutputStream().write(new byte[64 * 1024]);
            assertEquals("", readToEof(s, Duration.ofSeconds(8)), "nothing more is answered");
        }
        for (String[] c : new String[][]{{"/anything", "404"}, {"/client/v4", "404"}, {"/client/v4/accounts/%zz", "400"}}) {
            Socket s = connect(); // no token either: a path the API does not serve is not worth a body
            send(s, "POST " + c[0] + " HTTP/1.1\r\nHost: x\r\nContent-Length: 900000\r\n\r\n");
            String answer = readResponse(s);
            assertTrue(answer.startsWith("HTTP/1.1 " + c[1]) && answer.contains("connection: close"), c[0] + answer);
        }
        assertEquals(0, directory.data().tunnels(account).size(), "nothing was created");
    }

    /**
     * Requests pipelined behind one whose token check waits (a slow store: here the executor is busy) arrive whole and
     * are all carried out, in order (review of the gate's first version: it dropped bytes past 1 MiB held in all).
     */
    @Test
    void requestsPipelinedWhileATokenCheckWaitsArriveWhole() throws Exception {
        start(Duration.ofSeconds(30));
        java.util.concurrent.CountDownLatch busy = blockExecutor();
        StringBuilder all = new StringBuilder();
        List<String> names = List.of("a", "tunnel-full", "c");
        for (int i = 0; i < names.size(); i++) {
            String pad = i == 2 ? "" : "x".repeat(700_000); // 1.4 MB in the first two bodies
            String body = "{/*" + pad + "*/\"name\":\"" + names.get(i) + "\"}";
            all.append(postHead("Authorization: Bearer " + token + "\r\n", "Content-Length: " + body.length() + "\r\n"))
                    .append(body);
        }
        Socket s = connect();
        Thread writer = new Thread(() -> {
            try {
                send(s, all.toString()); // blocks while the server does not read
            } catch (IOException e) {
                // the assertions below say what went wrong
            }
        });
        writer.start();
        Thread.sleep(500);
        busy.countDown();
        writer.join(10_000);
        List<String> answers = new ArrayList<>();
        for (int i = 0; i < names.size(); i++) {
            answers.add(readResponse(s).substring(9, 12));
        }
        assertEquals(List.of("200", "200", "200"), answers);
        assertEquals(names.stream().sorted().toList(), directory.data().tunnels(account).stream().map(t -> t.name()).sorted().toList());
    }

    /** With a valid token the body is held back only while the token is checked, then carried out as before. */
    @Test
    void aValidTokensBodyArrivingInPartsIsCarriedOut() throws Exception {
        start(Duration.ofSeconds(30));
        Socket s = connect();
        String body = "{\"name\":\"in-parts\"}";
        send(s, postHead("Authorization: Bearer " + token + "\r\n", "Content-Length: " + body.length() + "\r\n")
                + body.substring(0, 5));
        Thread.sleep(300); // the check is done by now; the rest comes later
        send(s, body.substring(5));
        assertTrue(readResponse(s).startsWith("HTTP/1.1 200"));
        s = connect();
        send(s, postHead("Authorization: Bearer " + token + "\r\n",
                "Content-Length: " + (body.length() + 1) + "\r\nExpect: 100-continue\r\n"));
        assertTrue(readResponse(s).startsWith("HTTP/1.1 100"), "100 Continue once the token is known good");
        send(s, body.replace("in-parts", "in-parts2"));
        assertTrue(readResponse(s).startsWith("HTTP/1.1 200"));
        assertEquals(2, directory.data().tunnels(account).size());
    }

    /** Pipelined: answers stay in order, and nothing after a refused request is carried out. */
    @Test
    void aRefusalBeforeTheBodyKeepsPipelinedAnswersInOrder() throws Exception {
        start(Duration.ofSeconds(30));
        Socket s = connect();
        String ok = "{\"name\":\"first\"}";
        String after = "{\"name\":\"after-401\"}";
        send(s, get("/cfd_tunnel")
                + postHead("Authorization: Bearer " + token + "\r\n", "Content-Length: " + ok.length() + "\r\n") + ok
                + postHead("Authorization: Bearer made-up\r\n", "Content-Length: 5\r\n") + "{\"a\":"
                + postHead("Authorization: Bearer " + token + "\r\n", "Content-Length: " + after.length() + "\r\n") + after);
        String all = readToEof(s, Duration.ofSeconds(8));
        assertEquals(List.of("200", "200", "401"), statuses(all), all);
        Thread.sleep(300);
        assertEquals(1, directory.data().tunnels(account).size(), "the first POST ran, the one after the 401 did not");
    }
}
