package dev.vpctunnel.edge.link;

import io.netty.handler.ssl.NotSslRecordException;
import org.junit.jupiter.api.Test;

import javax.net.ssl.SSLHandshakeException;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What the tunnel port says about handshakes that fail: at info, once a minute, with the likely cause. */
class HandshakeFailuresTest {
    @Test
    void oneLineAMinuteSayingWhatIsLikelyWrong() {
        List<String> lines = new ArrayList<>();
        Handler h = new Handler() {
            @Override
            public void publish(LogRecord r) {
                lines.add(r.getLevel() + " " + r.getMessage());
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
        Logger log = Logger.getLogger(EdgeLinkInitializer.class.getName());
        log.addHandler(h);
        try {
            EdgeLinkInitializer.HandshakeFailures f = new EdgeLinkInitializer.HandshakeFailures();
            InetSocketAddress from = new InetSocketAddress("127.0.0.1", 40000);
            f.report(from, new io.netty.handler.codec.DecoderException(new NotSslRecordException("not an SSL/TLS record: 474554")));
            f.report(from, new SSLHandshakeException("Received fatal alert: certificate_unknown"));
            assertEquals(1, lines.size(), lines.toString());
            assertTrue(lines.get(0).startsWith("INFO tunnel port: /127.0.0.1:40000 did not speak TLS (plain HTTP?)"), lines.get(0));
        } finally {
            log.removeHandler(h);
        }
        String bad = EdgeLinkInitializer.HandshakeFailures.line(new InetSocketAddress("127.0.0.1", 1),
                new SSLHandshakeException("Received fatal alert: certificate_unknown"));
        assertTrue(bad.contains("failed: Received fatal alert: certificate_unknown (a connector whose --edge-ca"), bad);
    }
}
