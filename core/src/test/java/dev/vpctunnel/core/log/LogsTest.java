package dev.vpctunnel.core.log;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.logging.Level;
import java.util.logging.Logger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** --log-level debug shows the project's debug lines, not the JDK's or the libraries'. */
class LogsTest {
    private final ByteArrayOutputStream buf = new ByteArrayOutputStream();
    private PrintStream old;

    @BeforeEach
    void capture() {
        old = System.err;
        System.setErr(new PrintStream(buf, true, StandardCharsets.UTF_8));
    }

    @AfterEach
    void restore() {
        System.setErr(old);
        Logs.configure(Logs.Format.TEXT, Level.INFO);
    }

    private String out() {
        return buf.toString(StandardCharsets.UTF_8);
    }

    @Test
    void debugIsOursOnly() {
        Logs.configure(Logs.Format.TEXT, Logs.parseLevel("debug"));
        Logger.getLogger("dev.vpctunnel.connector.link.LinkSlot").fine("link #0: next attempt in 5 ms");
        Logger.getLogger("sun.security.util.Debug").fine("X509Certificate: every CA in cacerts");
        Logger.getLogger("io.netty.util.internal.PlatformDependent").fine("netty internals");
        Logger.getLogger("org.bouncycastle.jsse.provider.DisabledAlgorithmConstraints").warning("Ignoring unsupported entry");
        Logger.getLogger("org.bouncycastle.jsse.provider.ProvTlsClient").warning("a real BC warning");
        String out = out();
        assertTrue(out.contains(" DEBUG LinkSlot: link #0: next attempt in 5 ms\n"), out);
        assertFalse(out.contains("cacerts"), out);
        assertFalse(out.contains("netty internals"), out);
        assertFalse(out.contains("Ignoring unsupported entry"), out);
        assertTrue(out.contains(" WARN ProvTlsClient: a real BC warning"), out);
    }

    @Test
    void nettysLineForEachFrameOfAResetStreamIsHidden() {
        Logs.configure(Logs.Format.TEXT, Level.INFO);
        Logger decoder = Logger.getLogger("io.netty.handler.codec.http2.DefaultHttp2ConnectionDecoder");
        decoder.info("[id: 0x1] ignoring DATA frame for stream RST_STREAM sent.");
        decoder.warning("a real HTTP/2 warning");
        Logger.getLogger("io.netty.channel.DefaultChannelPipeline").info("other netty info");
        String out = out();
        assertFalse(out.contains("RST_STREAM sent"), out);
        assertTrue(out.contains("a real HTTP/2 warning") && out.contains("other netty info"), out);
    }

    @Test
    void warnHidesInfoEverywhere() {
        Logs.configure(Logs.Format.JSON, Logs.parseLevel("warn"));
        Logger.getLogger("dev.vpctunnel.edge.X").info("quiet");
        Logger.getLogger("other").info("quiet too");
        Logger.getLogger("dev.vpctunnel.edge.X").warning("say \"this\"");
        String out = out();
        assertEquals(1, out.lines().count(), out);
        assertTrue(out.contains("\"level\":\"WARN\",\"logger\":\"X\",\"msg\":\"say \\\"this\\\"\"}"), out);
    }

    /** ISO_INSTANT wrote 12:00:00Z for a whole second and 12:00:00.004Z otherwise: lines of two widths. */
    @Test
    void theTimeAlwaysHasItsMilliseconds() {
        Logs.configure(Logs.Format.TEXT, Level.INFO);
        java.util.logging.LogRecord whole = new java.util.logging.LogRecord(Level.INFO, "on the second");
        whole.setLoggerName("dev.vpctunnel.edge.X");
        whole.setInstant(java.time.Instant.parse("2026-12-05T12:00:00Z"));
        Logger.getLogger("dev.vpctunnel.edge.X").log(whole);
        java.util.logging.LogRecord later = new java.util.logging.LogRecord(Level.INFO, "4 ms later");
        later.setLoggerName("dev.vpctunnel.edge.X");
        later.setInstant(java.time.Instant.parse("2026-12-05T12:00:00.004Z"));
        Logger.getLogger("dev.vpctunnel.edge.X").log(later);
        assertEquals("2026-12-05T12:00:00.000Z INFO X: on the second\n2026-12-05T12:00:00.004Z INFO X: 4 ms later\n", out());
    }

    @Test
    void whyTheProcessStopsIsOneJsonObjectOnceLogsAreJson() {
        Logs.configure(Logs.Format.TEXT, Level.INFO);
        Logs.fatal("connector", "the edge refused this connector permanently: unknown tunnel");
        assertEquals("connector: the edge refused this connector permanently: unknown tunnel\n", out());
        buf.reset();
        Logs.configure(Logs.Format.JSON, Level.INFO);
        Logs.fatal("edge serve", "cannot listen: address in use");
        String out = out();
        assertEquals(1, out.lines().count(), out);
        assertTrue(out.startsWith("{") && out.contains("\"msg\":\"cannot listen: address in use\"}"), out);
    }
}
