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

/**
 * Answers the admin API decides before a request has arrived whole (a token refused before its body, a 413, a 100
 * Continue) and their order among pipelined requests.
 */
class ApiEarlyAnswerTest extends ApiSocketTestBase {
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
        long tasks = ((java.util.concurrent.ThreadPoolExecutor) executor).getTaskCount(); // the two blocking tasks
        send(s, postHead("Authorization: Bearer " + token + "\r\n", "Content-Length: " + ok.length() + "\r\n") + ok
                + postHead("Authorization: Bearer " + token + "\r\n", "Content-Length: 2097152\r\n") + after);
        busy.countDown();
        String all = readToEof(s, Duration.ofSeconds(8));
        assertEquals(List.of("200", "413"), statuses(all), all);
        assertEquals(1, directory.data().tunnels(account).size(), "the POST before the 413 ran, none after it");
        // since the snapshot: the first POST's check and its run, the 413's own check and its answer; nothing for the 20
        // after it (each would add its token check)
        assertTrue(((java.util.concurrent.ThreadPoolExecutor) executor).getTaskCount() - tasks <= 4,
                "executor tasks after the 413: " + (((java.util.concurrent.ThreadPoolExecutor) executor).getTaskCount() - tasks));
    }

    /**
     * A 100 Continue goes out after the answer to a request pipelined before it (the aggregator wrote it at once, so the
     * client read it as that request's): here the earlier request's run (the executor's second task, after its token
     * check) is slow.
     */
    @Test
    void a100ContinueWaitsForTheAnswersBeforeIt() throws Exception {
        start(Duration.ofSeconds(30));
        slowTask.set(tasksRun.get() + 2);
        String first = "{\"name\":\"first\"}";
        String second = "{\"name\":\"second\"}";
        Socket s = connect();
        send(s, postHead("Authorization: Bearer " + token + "\r\n", "Content-Length: " + first.length() + "\r\n") + first
                + postHead("Authorization: Bearer " + token + "\r\n",
                "Content-Length: " + second.length() + "\r\nExpect: 100-continue\r\n"));
        assertTrue(readResponse(s).startsWith("HTTP/1.1 200"), "the first request's answer comes first");
        assertTrue(readResponse(s).startsWith("HTTP/1.1 100"), "then the second's 100 Continue");
        send(s, second);
        assertTrue(readResponse(s).startsWith("HTTP/1.1 200"));
        assertEquals(2, directory.data().tunnels(account).size());
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
