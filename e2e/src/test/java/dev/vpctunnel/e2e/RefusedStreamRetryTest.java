package dev.vpctunnel.e2e;

import dev.vpctunnel.connector.link.LinkSupervisor;
import dev.vpctunnel.edge.directory.ServiceBinding;
import dev.vpctunnel.edge.directory.ServiceRecord;
import dev.vpctunnel.edge.directory.TunnelRecord;
import dev.vpctunnel.edge.routing.LinkInfo;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A fetch whose stream the connector refuses because it is draining is sent again on another link, whole: its body
 * and its end (an empty last chunk, trailers) reach the gateway in the same read as its head and went out on the
 * refused stream. The retry sends them again: without the end the origin waited for a body that never came and the
 * worker hung; a body was not kept, so a fetch with one failed (stream_reset) although the origin never saw it.
 */
class RefusedStreamRetryTest {
    /**
     * These tests hold the link's bytes (the edge must not read the drain notice yet) for longer than the connector
     * gives the edge to acknowledge it by default (2 s): a longer wait keeps them clear of a busy machine's pauses.
     */
    private static final String ACK_WAIT = "vpctunnel.linkAckWaitMs";
    /** A thread per blocking fetch (the common pool may have fewer threads than fetches in flight). */
    private static final java.util.concurrent.ExecutorService FETCHES = java.util.concurrent.Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "retry-fetch");
        t.setDaemon(true);
        return t;
    });

    @org.junit.jupiter.api.BeforeAll
    static void longerAckWait() {
        System.setProperty(ACK_WAIT, "6000");
    }

    @org.junit.jupiter.api.AfterAll
    static void defaultAckWait() {
        System.clearProperty(ACK_WAIT);
    }

    static Stream<String> framings() {
        return Stream.of("Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
                "Transfer-Encoding: chunked\r\n\r\n0\r\nx-checksum: 0\r\n\r\n",
                "Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\nx-checksum: 1\r\n\r\n",
                "Content-Length: 11\r\n\r\nhello world",
                // a body in 300 tiny chunks (300 pieces at the gateway) is kept whole too
                "Transfer-Encoding: chunked\r\n\r\n" + "1\r\nx\r\n".repeat(300) + "0\r\n\r\n");
    }

    /** Each framing on its own worker connection, all refused together and sent again on the other link. */
    @org.junit.jupiter.api.Test
    void aRefusedStreamIsSentAgainWhole() throws Exception {
        List<String> framings = framings().toList();
        try (GatewayFixture f = new GatewayFixture();
             ServerSocket origin = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
             FreezableProxy proxy = new FreezableProxy(f.tunnels.port())) {
            serve(origin);
            TunnelRecord t = f.tunnel("retry");
            LinkSupervisor draining = f.startConnector(t, 1, List.of(), proxy.port());
            LinkHarness.await("the first connector's link", Duration.ofSeconds(20),
                    () -> draining.registeredLinks() == 1 && f.tunnels.router().links(t.id()).size() == 1);
            ServiceRecord s = f.service("origin", origin.getLocalPort(), null, "127.0.0.1", null, t.id());
            String token = f.worker("w", List.of(new ServiceBinding("ORIGIN", s.id())));

            // a fetch in flight keeps the draining connector's link open until its answer (the drain's grace)
            CompletableFuture<RawHttp.Response> inFlight = fetch(f, "GET http://origin.internal/slow HTTP/1.1\r\n"
                    + "Host: origin.internal\r\nProxy-Authorization: Bearer " + token + "\r\ncf-vpc-binding: ORIGIN\r\n"
                    + "Connection: close\r\n\r\n");
            awaitOpenStreams(f, t, 1);
            // the edge must not hear that the connector drains before the next streams reach it: hold the link's bytes
            proxy.freezeAll();
            CompletableFuture.runAsync(() -> {
                try {
                    draining.drain(Duration.ofSeconds(10));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }, FETCHES);
            Thread.sleep(200); // the drain began: its notice waits in the frozen link
            List<CompletableFuture<RawHttp.Response>> retried = framings.stream().map(framingAndBody -> fetch(f,
                    "POST http://origin.internal/upload HTTP/1.1\r\nHost: origin.internal\r\nProxy-Authorization: Bearer "
                            + token + "\r\ncf-vpc-binding: ORIGIN\r\nConnection: close\r\n" + framingAndBody)).toList();
            awaitOpenStreams(f, t, 1 + framings.size());
            // the edge has not acknowledged the drain notice (frozen) within its wait: the connector refuses from now on
            LinkHarness.await("the draining connector refuses new streams", Duration.ofSeconds(10),
                    () -> draining.acceptingLinks() == 0);
            LinkSupervisor other = f.startConnector(t, 1, List.of());
            LinkHarness.await("the second connector's link", Duration.ofSeconds(20),
                    () -> other.registeredLinks() == 1 && f.tunnels.router().links(t.id()).size() == 2);
            proxy.thawAll(); // the edge learns of the drain and its streams are refused: sent again on the other link

            for (int i = 0; i < framings.size(); i++) {
                String framingAndBody = framings.get(i);
                RawHttp.Response r = retried.get(i).get(10, TimeUnit.SECONDS);
                assertEquals(200, r.status(), "framing " + i + ": " + r.text());
                String body = framingAndBody.substring(framingAndBody.indexOf("\r\n\r\n") + 4);
                if (framingAndBody.startsWith("Transfer-Encoding")) { // the chunks' data and the end, not their sizes
                    body = readChunked(new java.io.ByteArrayInputStream(body.getBytes(StandardCharsets.US_ASCII)));
                }
                assertEquals(body, r.text(), "framing " + i + ": the origin got the whole request (body, end, trailers) on"
                        + " the second link");
            }
            RawHttp.Response first = inFlight.get(10, TimeUnit.SECONDS);
            assertEquals(200, first.status(), "the draining link finished its fetch: " + first.text());
        }
    }

    /**
     * A stream the edge opened before it read the connector's drain notice is served by the draining connector, whatever
     * its body (a refused one is sent again only when the edge kept all of its body so far, 64 KiB; a rolling restart
     * lost larger uploads that way): the connector takes streams until the edge acknowledges a PING sent after the
     * notice. Here no other connector could take it.
     */
    @org.junit.jupiter.api.Test
    void aStreamOpenedBeforeTheEdgeReadTheDrainNoticeIsServedWhateverItsBody() throws Exception {
        uploadDuringADrain(false);
    }

    /**
     * Past that wait (the edge did not acknowledge in time: here its link is frozen), a stream is refused; with more of
     * its body gone out than the edge keeps, it is not sent again and fails as stream_reset, saying why.
     */
    @org.junit.jupiter.api.Test
    void aRefusedStreamWithMoreBodyThanKeptFailsSayingWhy() throws Exception {
        uploadDuringADrain(true);
    }

    private static void uploadDuringADrain(boolean refused) throws Exception {
        try (GatewayFixture f = new GatewayFixture();
             ServerSocket origin = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
             FreezableProxy proxy = new FreezableProxy(f.tunnels.port())) {
            serve(origin);
            TunnelRecord t = f.tunnel("late");
            LinkSupervisor draining = f.startConnector(t, 1, List.of(), proxy.port());
            LinkHarness.await("the connector's link", Duration.ofSeconds(20),
                    () -> draining.registeredLinks() == 1 && f.tunnels.router().links(t.id()).size() == 1);
            ServiceRecord s = f.service("origin", origin.getLocalPort(), null, "127.0.0.1", null, t.id());
            String token = f.worker("w", List.of(new ServiceBinding("ORIGIN", s.id())));
            proxy.freezeAll(); // the drain notice waits in the link, and so does the upload's stream
            CompletableFuture<Void> drained = CompletableFuture.runAsync(() -> {
                try {
                    draining.drain(Duration.ofSeconds(10));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            LinkHarness.await("the drain began", Duration.ofSeconds(5), () -> draining.servingLinks() == 0);
            String body = "u".repeat(300 * 1024); // beyond what the edge keeps to send again
            CompletableFuture<RawHttp.Response> upload = fetch(f, "POST http://origin.internal/upload HTTP/1.1\r\n"
                    + "Host: origin.internal\r\nProxy-Authorization: Bearer " + token + "\r\ncf-vpc-binding: ORIGIN\r\n"
                    + "Connection: close\r\nContent-Length: " + body.length() + "\r\n\r\n" + body);
            awaitOpenStreams(f, t, 1);
            if (refused) {
                LinkHarness.await("the draining connector refuses new streams", Duration.ofSeconds(10),
                        () -> draining.acceptingLinks() == 0);
                Thread.sleep(300); // the body the edge could send meanwhile went out: more than it keeps
            } else {
                assertEquals(1, draining.acceptingLinks(), "thawed within the drain's wait for the edge's acknowledgement");
            }
            proxy.thawAll();
            RawHttp.Response r = upload.get(10, TimeUnit.SECONDS);
            if (refused) {
                assertEquals(502, r.status(), r.text());
                assertEquals("stream_reset", r.header("cf-vpc-error"), r.text());
                assertTrue(r.text().contains("the connector refused the stream (draining); not sent again: more than 64 KiB"
                        + " of its body had gone out"), r.text());
            } else {
                assertEquals(200, r.status(), r.text());
                assertEquals(body.length(), r.text().length(), "the origin got the whole body from the draining connector");
            }
            drained.get(10, TimeUnit.SECONDS);
        }
    }

    private static CompletableFuture<RawHttp.Response> fetch(GatewayFixture f, String request) {
        return CompletableFuture.supplyAsync(() -> {
            try {
                return RawHttp.send(f.gateway.port(), request, null);
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }, FETCHES);
    }

    private static void awaitOpenStreams(GatewayFixture f, TunnelRecord t, int n) throws Exception {
        LinkHarness.await(n + " fetch streams open", Duration.ofSeconds(10),
                () -> f.tunnels.router().links(t.id()).stream().mapToInt(LinkInfo::openStreams).sum() == n);
    }

    /**
     * An origin that answers each request with what came after its head: a chunked body (here empty: its last
     * chunk and trailers) is read to its end. A request for /slow is answered 2 s after it arrived.
     */
    private static void serve(ServerSocket server) {
        Thread t = new Thread(() -> {
            while (!server.isClosed()) {
                try {
                    Socket s = server.accept();
                    Thread c = new Thread(() -> answer(s), "retry-origin-connection"); // /slow holds no other request
                    c.setDaemon(true);
                    c.start();
                } catch (IOException e) {
                    return;
                }
            }
        }, "retry-origin");
        t.setDaemon(true);
        t.start();
    }

    private static void answer(Socket socket) {
        try (Socket s = socket) {
            InputStream in = s.getInputStream();
            String head = RawHttp.readBlock(in);
            String lower = head.toLowerCase(java.util.Locale.ROOT);
            String body = lower.contains("transfer-encoding: chunked") ? readChunked(in)
                    : lower.contains("content-length: ") ? new String(in.readNBytes(Integer.parseInt(
                            lower.replaceAll("(?s).*content-length: (\\d+).*", "$1"))), StandardCharsets.US_ASCII) : "";
            if (head.contains(" /slow ")) {
                Thread.sleep(2_000);
            }
            byte[] answer = body.getBytes(StandardCharsets.US_ASCII);
            s.getOutputStream().write(("HTTP/1.1 200 OK\r\nContent-Length: " + answer.length + "\r\nConnection: close\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            s.getOutputStream().write(answer);
        } catch (IOException | InterruptedException e) {
            // the test is over, or its fetch went away
        }
    }

    /**
     * A chunked body as it came, without the chunk sizes (the connector chunks a body its own way): the chunks' data,
     * then the last chunk and the trailers up to the empty line.
     */
    private static String readChunked(InputStream in) throws IOException {
        StringBuilder sb = new StringBuilder();
        while (true) {
            String size = readLine(in);
            int n = Integer.parseInt(size.trim(), 16);
            if (n == 0) {
                return sb.append(size).append(RawHttp.readBlock(in)).toString();
            }
            sb.append(new String(in.readNBytes(n), StandardCharsets.US_ASCII));
            in.readNBytes(2);
        }
    }

    private static String readLine(InputStream in) throws IOException {
        StringBuilder sb = new StringBuilder();
        int c;
        while ((c = in.read()) >= 0) {
            sb.append((char) c);
            if (c == '\n') {
                break;
            }
        }
        return sb.toString();
    }
}
