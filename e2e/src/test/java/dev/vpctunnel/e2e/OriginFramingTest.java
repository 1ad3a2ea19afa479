package dev.vpctunnel.e2e;

import dev.vpctunnel.edge.directory.ServiceBinding;
import dev.vpctunnel.edge.directory.ServiceRecord;
import dev.vpctunnel.edge.directory.TunnelRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Origins that frame their answers badly or loosely, through a real edge and connector: bytes beyond a response (a
 * HEAD or 304 answered with a body, one byte more than Content-Length, a byte while the connection is idle) must not
 * be taken as the next response on a reused connection, which failed the next fetch after the origin had run it (a
 * POST) or sent it twice (a GET); lines ending in a bare LF are read as cloudflared (Go) reads them.
 */
class OriginFramingTest {
    private static GatewayFixture f;
    private static ServerSocket origin;
    private static final Map<String, AtomicInteger> seen = new ConcurrentHashMap<>();
    private static String token;

    @BeforeAll
    static void setUp() throws Exception {
        origin = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread accept = new Thread(() -> {
            while (!origin.isClosed()) {
                try {
                    Socket s = origin.accept();
                    Thread t = new Thread(() -> serve(s), "framing-origin-conn");
                    t.setDaemon(true);
                    t.start();
                } catch (IOException e) {
                    return;
                }
            }
        }, "framing-origin");
        accept.setDaemon(true);
        accept.start();
        f = new GatewayFixture();
        TunnelRecord tunnel = f.tunnel("t");
        f.connect(tunnel, 1, List.of()); // one link, one connector loop pool: reuse is what is tested
        ServiceRecord svc = f.service("o", origin.getLocalPort(), null, "127.0.0.1", null, tunnel.id());
        token = f.worker("w", List.of(new ServiceBinding("O", svc.id())));
    }

    @AfterAll
    static void tearDown() throws Exception {
        f.close();
        origin.close();
    }

    /** Keep-alive connection: answers each request by its path, counting "METHOD path". */
    private static void serve(Socket s) {
        try (s) {
            InputStream in = s.getInputStream();
            OutputStream out = s.getOutputStream();
            while (true) {
                String head = readHead(in);
                if (head == null) {
                    return;
                }
                String[] line = head.substring(0, head.indexOf("\r\n")).split(" ");
                String method = line[0];
                String path = line[1];
                int length = 0;
                for (String h : head.split("\r\n")) {
                    if (h.toLowerCase(Locale.ROOT).startsWith("content-length:")) {
                        length = Integer.parseInt(h.substring(15).trim());
                    }
                }
                in.readNBytes(length);
                seen.computeIfAbsent(method + " " + path, k -> new AtomicInteger()).incrementAndGet();
                String answer = switch (path) {
                    case "/extra" -> "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokX"; // one byte too many
                    case "/head-body" -> "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello"; // a body after HEAD
                    case "/not-modified" -> "HTTP/1.1 304 Not Modified\r\nContent-Length: 5\r\n\r\nhello";
                    case "/cl-and-te" -> "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n"
                            + "3\r\nabc\r\n0\r\n\r\n";
                    case "/big-head" -> { // 78 KB of header lines: under the origin decoder's 128 KiB, but
                        StringBuilder b = new StringBuilder("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n");
                        for (int i = 0; i < 6000; i++) { // over the link's 192 KiB as HTTP/2 counts it (+32 a field)
                            b.append("X-H-").append(1000 + i).append(": v\r\n");
                        }
                        yield b.append("\r\nok").toString();
                    }
                    case "/large-head" -> "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nX-Large: " + "v".repeat(120_000)
                            + "\r\n\r\nok"; // under Cloudflare's 128 KB of response headers
                    case "/bare-lf" -> "HTTP/1.1 200 OK\nContent-Length: 2\nX-Lf: yes\n\nlf";
                    case "/reason-200" -> "HTTP/1.1 200 Something Else\r\nContent-Length: 0\r\n\r\n";
                    case "/reason-418" -> "HTTP/1.1 418 I'm a teapot\r\nContent-Length: 0\r\n\r\n";
                    case "/reason-299" -> "HTTP/1.1 299 Weird Success\r\nContent-Length: 0\r\n\r\n";
                    case "/status-099" -> "HTTP/1.1 099 Odd\r\nContent-Length: 0\r\n\r\n";
                    case "/status-1000" -> "HTTP/1.1 1000 Odd\r\nContent-Length: 0\r\n\r\n";
                    default -> "HTTP/1.1 200 OK\r\nContent-Length: " + (path.length() + 6) + "\r\n\r\nfresh " + path;
                };
                out.write(answer.getBytes(StandardCharsets.ISO_8859_1));
                out.flush();
                if (path.equals("/late-byte")) {
                    Thread.sleep(300);
                    out.write('X'); // while the connection waits in the pool
                    out.flush();
                }
            }
        } catch (IOException | InterruptedException e) {
            // the connection is done
        }
    }

    private static String readHead(InputStream in) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        int c;
        while ((c = in.read()) >= 0) {
            b.write(c);
            byte[] a = b.toByteArray();
            int n = a.length;
            if (n >= 4 && a[n - 4] == '\r' && a[n - 3] == '\n' && a[n - 2] == '\r' && a[n - 1] == '\n') {
                return b.toString(StandardCharsets.ISO_8859_1);
            }
        }
        return null;
    }

    private static RawHttp.Response fetch(String method, String path) throws Exception {
        byte[] body = method.equals("POST") ? "x".getBytes() : null;
        if (method.equals("POST") || method.equals("GET")) {
            return f.fetch(token, "O", "http://o.internal" + path, "", body);
        }
        return RawHttp.send(f.gateway.port(), method + " http://o.internal" + path + " HTTP/1.1\r\nProxy-Authorization: Bearer "
                + token + "\r\ncf-vpc-binding: O\r\nConnection: close\r\n\r\n", null); // no body follows: the close ends it
    }

    private static void assertNextFetchesAreClean(String after) throws Exception {
        String post = "/post-after" + after;
        RawHttp.Response r = fetch("POST", post);
        assertEquals(200, r.status(), after + ": " + r.text());
        assertEquals("fresh " + post, r.text());
        assertEquals(1, seen.get("POST " + post).get(), "the POST ran once");
        String get = "/get-after" + after;
        RawHttp.Response g = fetch("GET", get);
        assertEquals(200, g.status(), after + ": " + g.text());
        assertEquals(1, seen.get("GET " + get).get(), "the GET was sent once");
    }

    @Test
    void aByteBeyondContentLengthIsNotTheNextResponse() throws Exception {
        RawHttp.Response r = fetch("GET", "/extra");
        assertEquals(200, r.status());
        assertEquals("ok", r.text());
        assertNextFetchesAreClean("-extra");
    }

    @Test
    void aBodyAfterHeadIsNotTheNextResponse() throws Exception {
        assertEquals(200, fetch("HEAD", "/head-body").status());
        assertNextFetchesAreClean("-head");
    }

    @Test
    void aBodyAfter304IsNotTheNextResponse() throws Exception {
        assertEquals(304, fetch("GET", "/not-modified").status());
        assertNextFetchesAreClean("-304");
    }

    @Test
    void aByteWhileIdleInThePoolClosesTheConnection() throws Exception {
        assertEquals(200, fetch("GET", "/late-byte").status());
        Thread.sleep(600);
        assertNextFetchesAreClean("-late");
    }

    @Test
    void aStatusOutside100To599IsNoAnswer() throws Exception {
        for (String path : new String[] {"/status-099", "/status-1000"}) {
            RawHttp.Response r = fetch("GET", path);
            assertEquals(502, r.status(), path + ": " + r.text());
            assertEquals("stream_reset", r.header("cf-vpc-error"), path);
        }
        assertNextFetchesAreClean("-status");
    }

    /** The status line comes back as the origin wrote it, its reason phrase included (HTTP/2 carries only the code). */
    @Test
    void theOriginsReasonPhraseReachesTheWorker() throws Exception {
        for (String[] c : new String[][] {{"/reason-200", "200", "Something Else"}, {"/reason-418", "418", "I'm a teapot"},
                {"/reason-299", "299", "Weird Success"}, {"/x", "200", "OK"}}) {
            RawHttp.Response r = fetch("GET", c[0]);
            assertEquals(Integer.parseInt(c[1]), r.status(), c[0] + ": " + r.text());
            assertEquals(c[2], r.reason(), c[0]);
            assertNull(r.header("cf-link-reason"), c[0]);
        }
        assertNextFetchesAreClean("-reason");
    }

    @Test
    void chunkedWinsOverContentLengthAsGoReadsIt() throws Exception {
        RawHttp.Response r = fetch("GET", "/cl-and-te");
        assertEquals(200, r.status(), r.text());
        assertEquals("abc", r.text());
        assertEquals(null, r.header("content-length"), "the Content-Length the chunks overrode is not passed on");
        assertNextFetchesAreClean("-cl-te");
    }

    @Test
    void aResponseHeadTooLargeForTheLinkSaysSo() throws Exception {
        RawHttp.Response r = fetch("GET", "/big-head");
        assertEquals(502, r.status(), r.text());
        assertEquals("stream_reset", r.header("cf-vpc-error"));
        assertTrue(r.text().contains("response head") && r.text().contains("192 KiB"), r.text());
        assertNextFetchesAreClean("-big-head");
        RawHttp.Response large = fetch("GET", "/large-head");
        assertEquals(200, large.status(), large.text());
        assertEquals(120_000, large.header("x-large").length());
        assertEquals("ok", large.text());
    }

    @Test
    void linesEndingInABareLfAreRead() throws Exception {
        RawHttp.Response r = fetch("GET", "/bare-lf");
        assertEquals(200, r.status(), r.text());
        assertEquals("lf", r.text());
        assertEquals("yes", r.header("x-lf"));
    }
}
