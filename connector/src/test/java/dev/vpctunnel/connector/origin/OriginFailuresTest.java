package dev.vpctunnel.connector.origin;

import dev.vpctunnel.core.testing.LogCapture;
import dev.vpctunnel.core.testing.SparePorts;
import dev.vpctunnel.proto.ConnectRequest;
import dev.vpctunnel.proto.Scheme;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.logging.Level;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** An origin that is down shows at the default log level: one warning a minute per origin, not one per fetch. */
class OriginFailuresTest {
    @Test
    void aDownOriginGetsOneWarningAMinuteWithTheCountOfFailures() throws Exception {
        int closed = SparePorts.next();
        try (LogCapture warnings = LogCapture.of(OriginStreamHandler.class, Level.WARNING);
             TestLink link = new TestLink(new OriginConfig(List.of(), List.of(), List.of()))) {
            ConnectRequest down = ConnectRequest.newBuilder().addAddresses("127.0.0.1").setPort(closed).setScheme(Scheme.HTTP)
                    .setServerName("api.internal").setConnectTimeoutMs(3000).setRequestId("t").build();
            for (int i = 0; i < 3; i++) {
                assertEquals(502, link.get(down, "/").response().status().code());
            }
            assertEquals(List.of("fetches to http://127.0.0.1:" + closed + " fail (connect_failed): cannot connect to 127.0.0.1:"
                    + closed + ": Connection refused (each failure is logged at --log-level debug)"), warnings.messages());
        }
    }
}
