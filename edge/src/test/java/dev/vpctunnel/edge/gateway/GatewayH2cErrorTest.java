package dev.vpctunnel.edge.gateway;

import dev.vpctunnel.core.net.Transports;
import dev.vpctunnel.edge.metrics.EdgeMetrics;
import io.netty.channel.EventLoopGroup;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HexFormat;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;

/**
 * An h2c worker connection that breaks the protocol ends with a GOAWAY that says how (RFC 9113 5.4.1: the error code,
 * and Netty's message as debug data), not with GOAWAY(NO_ERROR) and no word, which it got while the gateway closed the
 * connection before the codec had sent its own.
 */
class GatewayH2cErrorTest {
    private static EventLoopGroup group;
    private static GatewayServer gateway;

    @BeforeAll
    static void setUp() throws Exception {
        group = Transports.group(1, "t-gw-h2c-error");
        gateway = GatewayServer.start(new InetSocketAddress("127.0.0.1", 0), group, () -> null, null, new EdgeMetrics(),
                Duration.ofSeconds(1), Duration.ofSeconds(1));
    }

    @AfterAll
    static void tearDown() {
        gateway.close();
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    /** {@code frame}: a whole frame in hex (9-byte header, payload); {@code code}: the GOAWAY's error code. */
    @ParameterizedTest(name = "{0}")
    @CsvSource({
        "DATA on stream 0,                   000001 00 00 00000000 78,             1",
        "PING of 7 bytes,                    000007 06 00 00000000 31323334353637, 6",
        "HEADERS with a bad HPACK index,     000004 01 05 00000001 ffffff7f,       9",
        "connection WINDOW_UPDATE of 0,      000004 08 00 00000000 00000000,       1",
    })
    void aProtocolErrorEndsWithAGoAwayThatSaysWhy(String name, String frame, int code) throws Exception {
        try (Socket s = new Socket(InetAddress.getLoopbackAddress(), gateway.port())) {
            s.setSoTimeout(5_000);
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            out.write("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            out.write(HexFormat.of().parseHex("000000040000000000")); // an empty SETTINGS
            out.write(HexFormat.of().parseHex(frame.replace(" ", "")));
            s.getOutputStream().write(out.toByteArray());
            DataInputStream in = new DataInputStream(s.getInputStream());
            byte[] goAway = null;
            try {
                while (goAway == null) {
                    int length = in.readUnsignedByte() << 16 | in.readUnsignedShort();
                    int type = in.readUnsignedByte();
                    in.readUnsignedByte(); // flags
                    in.readInt(); // stream
                    byte[] payload = in.readNBytes(length);
                    if (type == 7) {
                        goAway = payload;
                    }
                }
            } catch (EOFException closed) {
                // no GOAWAY at all: failed below
            }
            assertNotNull(goAway, "a GOAWAY before the close");
            int got = java.nio.ByteBuffer.wrap(goAway, 4, 4).getInt();
            String debug = new String(goAway, 8, goAway.length - 8, StandardCharsets.UTF_8);
            assertEquals(code, got, "error code (debug: " + debug + ")");
            assertFalse(debug.isBlank(), "the debug data says why");
            in.readAllBytes(); // then the connection closes (within the socket's 5 s timeout, else the test fails)
        }
    }
}
