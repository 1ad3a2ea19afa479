package dev.vpctunnel.connector.origin;

import dev.vpctunnel.core.link.LinkHeaders;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpVersion;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * An origin that answers an upload early and reads the rest of the body (as servers that refuse a body but drain it
 * do), to an edge that reads nothing until its upload is done (a worker that sends its whole body before reading). The
 * answer's end waits for the edge's flow-control window; meanwhile the connector must go on taking the body, or the
 * edge's upload stalls on a full stream window and neither side ever moves again.
 */
class OriginEarlyAnswerTest {
    private static final int BODY = 8 * 1024 * 1024;
    /** Most of the edge's 1 MiB stream window, sent first; the rest of the answer cannot fit in what is left. */
    private static final int FIRST = LinkHeaders.STREAM_WINDOW - 100;
    private static final int REST = 4096;

    @Test
    void theConnectorTakesTheWholeUploadWhileACompleteEarlyAnswerWaitsForTheEdge() throws Exception {
        try (ServerSocket origin = new ServerSocket(0, 5, InetAddress.getLoopbackAddress());
             TestLink link = new TestLink(new OriginConfig(List.of(), List.of(), List.of()))) {
            Thread server = new Thread(() -> answerEarly(origin), "early-origin");
            server.setDaemon(true);
            server.start();
            var req = new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.POST, "/upload");
            req.headers().set(HttpHeaderNames.HOST, "edge.internal")
                    .set(LinkHeaders.CONNECT, TestLink.encode(OriginEdgeCasesTest.to(origin.getLocalPort()).build()));
            OriginLargeBodyTest.Uploader[] up = new OriginLargeBodyTest.Uploader[1];
            TestLink.Fetch f = link.open(req, true, false, ch -> {
                up[0] = new OriginLargeBodyTest.Uploader(ch, BODY);
                up[0].start();
            });
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
            while ((up[0] == null || up[0].written.get() < BODY) && System.nanoTime() < deadline) {
                Thread.sleep(50);
            }
            long sent = up[0] == null ? 0 : up[0].written.get();
            // the edge reads only now, as a worker that finished its upload would
            f.channel.eventLoop().execute(() -> f.channel.config().setAutoRead(true));
            assertEquals(BODY, sent, "the edge could send " + (sent >> 10) + " KiB of its " + (BODY >> 10)
                    + " KiB body while the origin's complete answer waited for it");
            assertEquals(413, f.response().status().code());
            assertEquals("end", f.awaitOutcome());
            assertEquals(FIRST + REST, f.bodyBytes);
        }
    }

    /**
     * Reads the head, answers 413 in two writes half a second apart, then drains the body on another thread (until the
     * answer is complete, the upload waits for the origin: the connector has the rest of the body to take when it ends).
     */
    private static void answerEarly(ServerSocket origin) {
        try (Socket s = origin.accept()) {
            InputStream in = s.getInputStream();
            int matched = 0;
            while (matched < 4) {
                int b = in.read();
                if (b < 0) {
                    return;
                }
                matched = b == "\r\n\r\n".charAt(matched) ? matched + 1 : (b == '\r' ? 1 : 0);
            }
            Thread drain = new Thread(() -> {
                byte[] buf = new byte[65536];
                try {
                    while (in.read(buf) >= 0) {
                        // dropped, as the origin does not want it
                    }
                } catch (IOException e) {
                    // the connection ended
                }
            }, "early-origin-drain");
            drain.setDaemon(true);
            OutputStream out = s.getOutputStream();
            out.write(("HTTP/1.1 413 Payload Too Large\r\nContent-Length: " + (FIRST + REST) + "\r\n\r\n")
                    .getBytes(StandardCharsets.ISO_8859_1));
            out.write(new byte[FIRST]);
            out.flush();
            Thread.sleep(500); // the connector relays all of it, leaving 100 bytes of the edge's window
            out.write(new byte[REST]); // read in one go: the response ends in a piece that does not fit
            out.flush();
            drain.start(); // only now: the upload waited for the origin until the answer was complete
            drain.join(30_000);
        } catch (IOException | InterruptedException e) {
            // the test is over
        }
    }
}
