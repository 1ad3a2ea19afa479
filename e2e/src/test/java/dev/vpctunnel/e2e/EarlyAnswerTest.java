package dev.vpctunnel.e2e;

import dev.vpctunnel.core.net.Transports;
import dev.vpctunnel.edge.directory.ServiceBinding;
import dev.vpctunnel.edge.directory.ServiceRecord;
import dev.vpctunnel.edge.directory.TunnelRecord;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.EventLoopGroup;
import io.netty.handler.codec.http2.DefaultHttp2DataFrame;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.DefaultHttp2HeadersFrame;
import io.netty.handler.codec.http2.Http2DataFrame;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2HeadersFrame;
import io.netty.handler.codec.http2.Http2ResetFrame;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.handler.codec.http2.Http2StreamChannelBootstrap;
import io.netty.util.ReferenceCountUtil;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * An origin that answers an upload before reading it (a 413 right after the request head, as servers refusing a body
 * do) while the worker is still sending: the worker gets that complete answer, over HTTP/1.1 and h2c, whatever else
 * the gateway and the link do with the rest of the body. The answer is larger than a link stream's window, so part of
 * it is still on its way when the connector ends the stream.
 */
class EarlyAnswerTest {
    private static final int ANSWER = 4 * 1024 * 1024;
    private static GatewayFixture f;
    private static ServerSocket early;
    private static String token;

    @BeforeAll
    static void setUp() throws Exception {
        early = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread t = new Thread(EarlyAnswerTest::serve, "early-origin");
        t.setDaemon(true);
        t.start();
        f = new GatewayFixture();
        TunnelRecord tunnel = f.tunnel("early");
        f.connect(tunnel, 1, List.of());
        ServiceRecord s = f.service("early", early.getLocalPort(), null, "127.0.0.1", null, tunnel.id());
        token = f.worker("w", List.of(new ServiceBinding("EARLY", s.id())));
    }

    @AfterAll
    static void tearDown() throws Exception {
        f.close();
        early.close();
    }

    /** Per connection: reads the head only, answers 413 with ANSWER bytes, holds the socket without reading, closes. */
    private static void serve() {
        while (!early.isClosed()) {
            try {
                Socket s = early.accept();
                Thread t = new Thread(() -> {
                    try (s) {
                        if (!RawHttp.readBlock(s.getInputStream()).endsWith("\r\n\r\n")) {
                            return;
                        }
                        OutputStream out = s.getOutputStream();
                        out.write(("HTTP/1.1 413 Payload Too Large\r\nConnection: close\r\nContent-Length: " + ANSWER + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
                        out.write(new byte[ANSWER]);
                        out.flush();
                        Thread.sleep(3_000);
                    } catch (IOException | InterruptedException e) {
                        // the connector went away: next
                    }
                }, "early-origin-conn");
                t.setDaemon(true);
                t.start();
            } catch (IOException e) {
                return;
            }
        }
    }

    @Test
    void anH2cWorkerStillUploadingGetsTheWholeEarlyAnswerAndNoCancel() throws Exception {
        EventLoopGroup group = Transports.group(1, "t-early-h2c");
        try {
            Channel conn = H2cProbe.connect(group, f.gateway.port());
            AtomicLong received = new AtomicLong();
            AtomicReference<String> status = new AtomicReference<>();
            CompletableFuture<Boolean> ended = new CompletableFuture<>(); // true: END_STREAM, false: reset or closed first
            CompletableFuture<Http2Error> reset = new CompletableFuture<>();
            Http2StreamChannel s = new Http2StreamChannelBootstrap(conn).handler(new ChannelInboundHandlerAdapter() {
                @Override
                public void channelRead(ChannelHandlerContext ctx, Object msg) {
                    if (msg instanceof Http2HeadersFrame h && status.get() == null) {
                        status.set(String.valueOf(h.headers().status()));
                    } else if (msg instanceof Http2DataFrame d) {
                        received.addAndGet(d.content().readableBytes());
                        if (d.isEndStream()) {
                            ended.complete(true);
                        }
                    }
                    ReferenceCountUtil.release(msg);
                }

                @Override
                public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
                    if (evt instanceof Http2ResetFrame r) {
                        reset.complete(Http2Error.valueOf(r.errorCode()));
                        ended.complete(false);
                    }
                    ReferenceCountUtil.release(evt);
                }

                @Override
                public void channelInactive(ChannelHandlerContext ctx) {
                    ended.complete(false);
                }
            }).open().sync().getNow();
            s.writeAndFlush(new DefaultHttp2HeadersFrame(new DefaultHttp2Headers().method("POST").scheme("http")
                    .authority("api.internal").path("/upload").add("proxy-authorization", "Bearer " + token)
                    .add("cf-vpc-binding", "EARLY"), false));
            // the worker goes on uploading, a piece every few milliseconds, while the answer comes back
            io.netty.util.concurrent.ScheduledFuture<?> upload = s.eventLoop().scheduleAtFixedRate(() -> {
                if (s.isActive() && s.isWritable()) {
                    s.writeAndFlush(new DefaultHttp2DataFrame(Unpooled.wrappedBuffer(new byte[8192]), false));
                }
            }, 0, 5, TimeUnit.MILLISECONDS);
            boolean whole = ended.get(20, TimeUnit.SECONDS);
            upload.cancel(false);
            assertEquals("413", status.get());
            assertTrue(whole, "the answer ended with END_STREAM, not a reset: got " + received.get() + " of " + ANSWER
                    + " bytes, reset " + reset.getNow(null));
            assertEquals(ANSWER, received.get());
            // the gateway may then ask the worker to stop uploading, but only with NO_ERROR (RFC 9113 8.1): a CANCEL
            // makes clients (curl) report the fetch as failed
            Http2Error after = reset.completeOnTimeout(null, 2, TimeUnit.SECONDS).get();
            assertNotEquals(Http2Error.CANCEL, after);
            conn.close().sync();
        } finally {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
        }
    }

    /**
     * Read at once, and read late then slowly, while the worker keeps sending: a second late, and three seconds late
     * with the body trickling in (past AnswerClose's quiet period, which must not run while the worker still sends).
     */
    @ParameterizedTest
    @ValueSource(ints = {0, 1_000, 3_000})
    void anHttp1WorkerStillUploadingGetsTheWholeEarlyAnswer(int readAfterMs) throws Exception {
        try (Socket s = new Socket(InetAddress.getLoopbackAddress(), f.gateway.port())) {
            s.setSoTimeout(20_000);
            // past 2 s a trickle: the worker is still sending when it starts reading
            upload(s, 256L * 1024 * 1024, readAfterMs > 2_000 ? 5 : 0, new AtomicBoolean());
            Thread.sleep(readAfterMs);
            InputStream in = readAfterMs == 0 ? s.getInputStream() : new java.io.FilterInputStream(s.getInputStream()) {
                @Override
                public int read(byte[] b, int off, int len) throws IOException {
                    try {
                        Thread.sleep(2);
                    } catch (InterruptedException e) {
                        throw new IOException(e);
                    }
                    return super.read(b, off, Math.min(len, 16 * 1024));
                }
            };
            RawHttp.Response r = RawHttp.read(in);
            assertEquals(413, r.status(), () -> "the origin's answer, not: " + r.text());
            assertTrue(r.complete(), "the whole answer arrived: " + r.body().length + " of " + ANSWER + " bytes");
            assertEquals(ANSWER, r.body().length);
        }
        RawHttp.Response next = f.fetch(token, "EARLY", "http://api.internal/again", "", null);
        assertEquals(413, next.status());
        assertTrue(next.complete());
    }

    /**
     * A worker that sends its whole body before it reads anything (a simple client), 64 MiB against an early answer of
     * 4 MiB: the upload must not wait on the unread answer (nor the answer's end on the upload), and the answer is then
     * read whole.
     */
    @Test
    void anHttp1WorkerThatUploadsEverythingBeforeReadingGetsTheEarlyAnswer() throws Exception {
        try (Socket s = new Socket()) {
            // a small receive buffer: the answer cannot all wait in the socket buffers until the worker reads (on
            // loopback they often held all 4 MiB, and the upload stalled only under load)
            s.setReceiveBufferSize(32 * 1024);
            s.connect(new java.net.InetSocketAddress(InetAddress.getLoopbackAddress(), f.gateway.port()));
            s.setSoTimeout(20_000);
            AtomicBoolean uploaded = new AtomicBoolean();
            upload(s, 64L * 1024 * 1024, 0, uploaded).join(20_000);
            assertTrue(uploaded.get(), "the whole body went up before the worker read anything");
            RawHttp.Response r = RawHttp.read(s.getInputStream());
            assertEquals(413, r.status(), () -> "the origin's answer, not: " + r.text());
            assertTrue(r.complete(), "the whole answer arrived: " + r.body().length + " of " + ANSWER + " bytes");
        }
    }

    /**
     * Sends a POST's head through the EARLY binding, then its body of {@code total} bytes in 64 KiB pieces from a
     * thread of its own, {@code pauseMs} apart; {@code done} is set once all of it went out (not if the gateway closed).
     */
    private static Thread upload(Socket s, long total, long pauseMs, AtomicBoolean done) throws IOException {
        OutputStream out = s.getOutputStream();
        out.write(("POST http://api.internal/upload HTTP/1.1\r\nProxy-Authorization: Bearer " + token
                + "\r\ncf-vpc-binding: EARLY\r\nContent-Length: " + total + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
        Thread sender = new Thread(() -> {
            byte[] piece = new byte[64 * 1024];
            try {
                for (long sent = 0; sent < total; sent += piece.length) {
                    out.write(piece);
                    if (pauseMs > 0) {
                        Thread.sleep(pauseMs);
                    }
                }
                done.set(true);
            } catch (InterruptedException | IOException e) {
                // the gateway closed its side: the worker stops
            }
        }, "early-uploader");
        sender.setDaemon(true);
        sender.start();
        return sender;
    }
}
