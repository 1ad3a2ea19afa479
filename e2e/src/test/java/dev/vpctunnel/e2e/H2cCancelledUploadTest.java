package dev.vpctunnel.e2e;

import dev.vpctunnel.core.net.Transports;
import dev.vpctunnel.edge.directory.ServiceBinding;
import dev.vpctunnel.edge.directory.ServiceRecord;
import dev.vpctunnel.edge.directory.TunnelRecord;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.EventLoopGroup;
import io.netty.handler.codec.http2.DefaultHttp2DataFrame;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.DefaultHttp2HeadersFrame;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.handler.codec.http2.Http2StreamChannelBootstrap;
import io.netty.util.ReferenceCountUtil;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * An h2c worker uploads faster than the origin reads, then goes away: the gateway's stream for it holds DATA frames it
 * has not read yet. The fetch must end and those frames be released, whether the worker resets the stream or its whole
 * connection goes (Netty closes a stream channel with frames still queued only once they are read). Before, nothing
 * read or closed it: the frames stayed until they were garbage (LeakGuard fails this class then), and the fetch went on
 * until the origin read again.
 */
class H2cCancelledUploadTest {
    @Test
    void aCancelledUploadLeavesNothingBehind() throws Exception {
        uploadThenGoAway((conn, upload) -> upload.close().sync()); // RST_STREAM(CANCEL)
    }

    @Test
    void anUploadWhoseConnectionGoesAwayLeavesNothingBehind() throws Exception {
        uploadThenGoAway((conn, upload) -> conn.close().sync()); // GOAWAY and the connection closes, no RST_STREAM
    }

    private interface GoAway {
        void run(Channel conn, Http2StreamChannel upload) throws Exception;
    }

    private static void uploadThenGoAway(GoAway goAway) throws Exception {
        EventLoopGroup group = Transports.group(1, "t-h2c-upload");
        CountDownLatch cancelled = new CountDownLatch(1);
        CountDownLatch originGone = new CountDownLatch(1);
        try (GatewayFixture f = new GatewayFixture();
             ServerSocket origin = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            Thread o = new Thread(() -> holdWithoutReading(origin, cancelled, originGone), "deaf-origin");
            o.setDaemon(true);
            o.start();
            TunnelRecord t = f.tunnel("upload");
            f.connect(t, 1, List.of());
            ServiceRecord s = f.service("deaf", origin.getLocalPort(), null, "127.0.0.1", null, t.id());
            String token = f.worker("w", List.of(new ServiceBinding("DEAF", s.id())));

            // a connection that closes at once when asked, open streams or not (Netty's default waits 30 s)
            Channel conn = H2cProbe.connect(group, f.gateway.port(), b -> b.gracefulShutdownTimeoutMillis(0));
            Http2StreamChannel upload = new Http2StreamChannelBootstrap(conn).handler(new ChannelInboundHandlerAdapter() {
                @Override
                public void channelRead(ChannelHandlerContext ctx, Object msg) {
                    ReferenceCountUtil.release(msg);
                }
            }).open().sync().getNow();
            upload.write(new DefaultHttp2HeadersFrame(new DefaultHttp2Headers().method("POST").scheme("http")
                    .authority("deaf.internal").path("/upload").add("proxy-authorization", "Bearer " + token)
                    .add("cf-vpc-binding", "DEAF"), false));
            // far more than the origin's socket, the link stream's window and the gateway stream's window take
            for (int i = 0; i < 2048; i++) {
                upload.write(new DefaultHttp2DataFrame(Unpooled.wrappedBuffer(new byte[16 * 1024]), false));
            }
            upload.flush();
            LinkHarness.await("the gateway's upload stalled on the origin", Duration.ofSeconds(20),
                    () -> !upload.isWritable() || !conn.isWritable());
            Thread.sleep(1_000); // the gateway's stream now holds frames it has not read
            goAway.run(conn, upload);
            LinkHarness.await("the fetch ended at the edge while the origin still stalls", Duration.ofSeconds(5),
                    () -> f.tunnels.router().all().stream().mapToInt(l -> l.openStreams()).sum() == 0);
            cancelled.countDown();
            assertTrue(originGone.await(10, TimeUnit.SECONDS), "the cancel reached the origin");
            Thread.sleep(500);
            conn.close().sync();
        } finally {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        }
    }

    /** Reads one request head, then nothing until the worker cancelled; counts down once the connector closed it. */
    private static void holdWithoutReading(ServerSocket server, CountDownLatch cancelled, CountDownLatch gone) {
        try (Socket s = server.accept()) {
            s.setReceiveBufferSize(64 * 1024);
            InputStream in = s.getInputStream();
            if (!RawHttp.readBlock(in).endsWith("\r\n\r\n")) {
                return;
            }
            cancelled.await(60, TimeUnit.SECONDS); // a stalled reader: the upload backs up into the gateway
            while (in.read(new byte[65536]) >= 0) { // then drain until the connector closes the connection
                continue;
            }
            gone.countDown();
        } catch (IOException | InterruptedException e) {
            gone.countDown();
        }
    }
}
