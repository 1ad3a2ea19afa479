package dev.vpctunnel.e2e;

import dev.vpctunnel.edge.directory.ServiceBinding;
import dev.vpctunnel.edge.directory.ServiceRecord;
import dev.vpctunnel.edge.directory.TunnelRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** How requests and answers are framed on a worker's HTTP/1.x connection: HTTP/1.0, bodies the decoder cannot read. */
class GatewayFramingTest {
    private static GatewayFixture f;
    private static TestOrigins origins;
    private static String token;

    @BeforeAll
    static void setUp() throws Exception {
        origins = new TestOrigins();
        f = new GatewayFixture();
        TunnelRecord tunnel = f.tunnel("main");
        f.connect(tunnel, 1, List.of());
        ServiceRecord web = f.service("web", origins.echoPort(), null, "127.0.0.1", null, tunnel.id());
        token = f.worker("w", List.of(new ServiceBinding("WEB", web.id())));
    }

    @AfterAll
    static void tearDown() throws Exception {
        f.close();
        origins.close();
    }

    /** RFC 9112 6.1: no chunked coding for an HTTP/1.0 client; a body of unknown length ends with the connection. */
    @Test
    void anHttp10WorkerGetsNoChunksAndKeepAliveOnlyWhenTheLengthIsKnown() throws Exception {
        java.util.function.Function<String, String> get = path -> "GET http://api.internal" + path + " HTTP/1.0\r\n"
                + "Proxy-Authorization: Bearer " + token + "\r\ncf-vpc-binding: WEB\r\nConnection: keep-alive\r\n\r\n";
        try (java.net.Socket s = new java.net.Socket(java.net.InetAddress.getLoopbackAddress(), f.gateway.port())) {
            s.setSoTimeout(10_000);
            s.getOutputStream().write(get.apply("/sized").getBytes());
            RawHttp.Response sized = RawHttp.read(s.getInputStream());
            assertEquals(200, sized.status(), sized.text());
            assertEquals("keep-alive", sized.header("connection"), "an HTTP/1.0 client closes unless told");
            s.getOutputStream().write(get.apply("/unsized").getBytes());
            java.io.ByteArrayOutputStream raw = new java.io.ByteArrayOutputStream();
            s.getInputStream().transferTo(raw); // returns at the close that ends the body
            String text = raw.toString(java.nio.charset.StandardCharsets.ISO_8859_1);
            String head = text.substring(0, text.indexOf("\r\n\r\n")).toLowerCase(java.util.Locale.ROOT);
            assertTrue(head.startsWith("http/1.1 200"), text);
            assertFalse(head.contains("transfer-encoding"), "no chunks for HTTP/1.0: " + head);
            assertTrue(head.contains("connection: close"), head);
            assertTrue(text.endsWith("body=0\n"), "the body as the origin sent it, unframed: " + text);
            assertTrue(text.contains("\r\n\r\nmethod=GET\npath=/unsized\n"), text);
        }
    }

    @Test
    void aMalformedRequestBodyNeverReachesTheOriginAsComplete() throws Exception {
        try (java.net.Socket s = new java.net.Socket(java.net.InetAddress.getLoopbackAddress(), f.gateway.port())) {
            s.setSoTimeout(10_000);
            String req = "POST http://api.internal/m HTTP/1.1\r\nProxy-Authorization: Bearer " + token
                    + "\r\ncf-vpc-binding: WEB\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\nzz-not-a-chunk-size\r\n\r\n";
            s.getOutputStream().write(req.getBytes());
            s.setSoTimeout(3_000);
            java.io.ByteArrayOutputStream got = new java.io.ByteArrayOutputStream();
            boolean closed = false;
            try {
                s.getInputStream().transferTo(got); // returns when the gateway closes the connection
                closed = true;
            } catch (java.net.SocketTimeoutException stillOpen) {
                // judged below by what arrived
            }
            String text = got.toString(java.nio.charset.StandardCharsets.ISO_8859_1);
            assertFalse(text.contains("body=5"), "the origin answered a truncated body as a whole request: " + text);
            assertTrue(text.startsWith("HTTP/1.1 400 Bad Request") && text.contains("bad request:"),
                    "nothing was answered yet: HTTP's own 400 says why: " + text);
            assertTrue(closed, "the connection, whose framing is lost, is closed");
        }
    }

    /** A body that cannot be read after an early answer (401) ends the connection: nothing after it can be read. */
    @Test
    void aMalformedBodyAfterAnEarlyAnswerClosesTheConnection() throws Exception {
        try (java.net.Socket s = new java.net.Socket(java.net.InetAddress.getLoopbackAddress(), f.gateway.port())) {
            s.setSoTimeout(10_000);
            s.getOutputStream().write(("POST http://api.internal/m HTTP/1.1\r\ncf-vpc-binding: WEB\r\n"
                    + "Transfer-Encoding: chunked\r\n\r\nZZZ\r\nabc\r\n").getBytes());
            GatewayTest.assertError(RawHttp.read(s.getInputStream()), 401, "unauthorized");
            s.getOutputStream().write("GET http://api.internal/next HTTP/1.1\r\n\r\n".getBytes());
            long t0 = System.nanoTime();
            assertEquals(-1, s.getInputStream().read(), "closed, not left open and deaf");
            assertTrue(System.nanoTime() - t0 < 8_000_000_000L);
        }
    }
}
