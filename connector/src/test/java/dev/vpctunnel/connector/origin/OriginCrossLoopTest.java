package dev.vpctunnel.connector.origin;

import dev.vpctunnel.core.link.LinkHeaders;
import dev.vpctunnel.proto.ConnectRequest;
import dev.vpctunnel.proto.ErrorCode;
import dev.vpctunnel.proto.Scheme;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http2.DefaultHttp2ResetFrame;
import io.netty.handler.codec.http2.Http2Error;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The OriginService given a group other than the link's: origin I/O runs on other threads and hands events over. */
class OriginCrossLoopTest {
    static TestOrigin origin;
    static TestLink link;

    @BeforeAll
    static void start() throws Exception {
        origin = new TestOrigin("127.0.0.1", null);
        link = new TestLink(new OriginConfig(List.of(), List.of(), List.of()), true);
    }

    @AfterAll
    static void stop() {
        link.close();
        origin.close();
    }

    static ConnectRequest target() {
        return ConnectRequest.newBuilder().addAddresses("127.0.0.1").setPort(origin.port()).setScheme(Scheme.HTTP)
                .setServerName("x.internal").build();
    }

    @Test
    void plainChunkedAndReuse() throws Exception {
        assertEquals("hello world", link.get(target(), "/hello").bodyText());
        assertEquals("alpha,beta,gamma", link.get(target(), "/chunked").bodyText());
        String a = link.get(target(), "/conn").bodyText();
        assertEquals(a, link.get(target(), "/conn").bodyText());
    }

    @Test
    void streamingBothWays() throws Exception {
        long size = 32L * 1024 * 1024;
        TestLink.Fetch down = link.get(target(), "/download?bytes=" + size, false);
        assertEquals("end", down.awaitOutcome());
        assertEquals(size, down.bodyBytes);
        HttpRequest req = new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.POST, "/upload");
        req.headers().set(HttpHeaderNames.HOST, "x.internal").set(LinkHeaders.CONNECT, TestLink.encode(target()));
        TestLink.Fetch up = link.open(req, true, ch -> new OriginLargeBodyTest.Uploader(ch, size).start());
        assertEquals(Long.toString(size), up.bodyText());
    }

    @Test
    void failuresAndCancellation() throws Exception {
        TestLink.Fetch die = link.get(target(), "/die");
        assertTrue(die.awaitOutcome().startsWith("reset:"));
        ConnectRequest nowhere = ConnectRequest.newBuilder().addAddresses("127.0.0.1").setPort(1).setScheme(Scheme.HTTP).build();
        assertEquals(ErrorCode.CONNECT_FAILED, TestLink.error(link.get(nowhere, "/").response()).getCode());
        TestLink.Fetch hang = link.get(target(), "/hang");
        hang.firstByte.get(10, TimeUnit.SECONDS);
        hang.channel.writeAndFlush(new DefaultHttp2ResetFrame(Http2Error.CANCEL));
        assertTrue(origin.hangClosed.await(5, TimeUnit.SECONDS));
    }
}
