package dev.vpctunnel.connector.link;

import dev.vpctunnel.core.link.TunnelToken;
import dev.vpctunnel.core.net.Transports;
import dev.vpctunnel.core.testing.LogCapture;
import dev.vpctunnel.core.tls.LinkTls;
import dev.vpctunnel.core.tls.Pki;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.ssl.SslContext;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import javax.net.ssl.SSLHandshakeException;
import java.net.InetSocketAddress;
import java.security.cert.CertificateExpiredException;
import java.security.cert.CertificateException;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A handshake with the edge that fails on its certificate says why, whichever TLS engine runs the link. */
class EdgeTlsFailureTest {
    private static final Pki.Issued CA = Pki.newCa("edge CA", Duration.ofDays(1));
    private static final Pki.Issued OTHER_CA = Pki.newCa("someone else's CA", Duration.ofDays(1));
    private final List<String> warnings = new CopyOnWriteArrayList<>();
    private final List<String> nettyWarnings = new CopyOnWriteArrayList<>();
    private final Logger log = Logger.getLogger(ConnectorLinkInitializer.class.getName());
    private final Logger nettyLog = Logger.getLogger("io.netty");
    private final Handler capture = new Handler() {
        @Override
        public void publish(LogRecord r) {
            (r.getLoggerName().startsWith("io.netty") ? nettyWarnings : warnings).add(r.getMessage());
        }

        @Override
        public void flush() {
        }

        @Override
        public void close() {
        }
    };
    private EventLoopGroup group;

    @BeforeEach
    void setUp() {
        log.addHandler(capture);
        nettyLog.addHandler(capture);
        group = Transports.group(1, "test-tls");
    }

    @AfterEach
    void tearDown() {
        log.removeHandler(capture);
        nettyLog.removeHandler(capture);
        System.clearProperty("vpctunnel.linkTls");
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    /** A TLS listener presenting {@code cert}, a connector trusting {@code trusted} dialing it as {@code host}: the log line. */
    private String handshakeWarning(Pki.Issued cert, Pki.Issued trusted, String host) throws Exception {
        SslContext server = LinkTls.server(cert.key(), List.of(cert.certificate(), CA.certificate()));
        return handshakeWarning(ch -> ch.pipeline().addLast(server.newHandler(ch.alloc())), trusted, host);
    }

    /** A listener whose accepted connections get {@code accepted}, dialed by a connector trusting {@code trusted}. */
    private String handshakeWarning(java.util.function.Consumer<SocketChannel> accepted, Pki.Issued trusted, String host)
            throws Exception {
        return handshakeWarning(accepted, trusted, host, null);
    }

    /** ... the first warning containing {@code wanted} (null: the handshake's). */
    private String handshakeWarning(java.util.function.Consumer<SocketChannel> accepted, Pki.Issued trusted, String host,
                                    String wanted) throws Exception {
        warnings.clear();
        Channel listener = new ServerBootstrap().group(group).channel(Transports.server())
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        accepted.accept(ch);
                    }
                }).bind(new InetSocketAddress("127.0.0.1", 0)).sync().channel();
        int port = ((InetSocketAddress) listener.localAddress()).getPort();
        try {
            return firstWarning(host, port, trusted, wanted != null ? wanted : "TLS handshake with edge " + host + ":" + port + " ");
        } finally {
            listener.close().sync();
        }
    }

    /** Runs a one-link connector dialing host:port until a warning containing {@code ours} is logged: that warning. */
    private String firstWarning(String host, int port, Pki.Issued trusted, String ours) throws Exception {
        LinkConfig cfg = new LinkConfig(new TunnelToken("0123456789abcdef0123456789abcdef", UUID.randomUUID(), new byte[32]),
                List.of(InetSocketAddress.createUnresolved(host, port)), LinkTls.client(List.of(trusted.certificate())), 1,
                "test-connector", "test", Duration.ofSeconds(5), Duration.ofSeconds(15), Duration.ofSeconds(5), 100);
        LinkSupervisor links = new LinkSupervisor(cfg, group, ChannelInboundHandlerAdapter::new);
        try {
            links.start();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
            while (warnings.stream().noneMatch(m -> m.contains(ours))) {
                assertTrue(System.nanoTime() < deadline, "no such warning logged: " + warnings);
                Thread.sleep(20);
            }
            return warnings.stream().filter(m -> m.contains(ours)).findFirst().orElseThrow();
        } finally {
            links.stop();
        }
    }

    /** A port where nothing listens (a wrong --edge port): the warning says what --edge takes. */
    @Test
    void aPortWhereNothingListensIsExplained() throws Exception {
        Logger slotLog = Logger.getLogger(LinkSlot.class.getName());
        slotLog.addHandler(capture);
        try {
            int port = dev.vpctunnel.core.testing.SparePorts.next(); // nothing listens there
            String m = firstWarning("127.0.0.1", port, CA, "cannot reach edge 127.0.0.1:" + port);
            // one line per failed attempt: why, then when the next one goes
            assertTrue(m.matches(".*: Connection refused \\(nothing listens there: --edge takes the edge's --tunnel-listen"
                    + " address, port 7844 by default\\); retrying in (\\d+ms|1s) \\(backoff up to 1s\\)"), m);
        } finally {
            slotLog.removeHandler(capture);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"openssl", "jdk", "bc"})
    void aWrongEdgeCaSaysTheCertificatePathCannotBeBuilt(String engine) throws Exception {
        System.setProperty("vpctunnel.linkTls", engine);
        Pki.Issued cert = Pki.issue(CA, "edge", List.of("localhost", "127.0.0.1"), Duration.ofDays(1));
        String m = handshakeWarning(cert, OTHER_CA, "127.0.0.1");
        assertTrue(m.startsWith("link #0: TLS handshake with edge 127.0.0.1:"), m);
        assertTrue(m.contains("failed: the edge's certificate is not signed by a CA in --edge-ca: "
                + "unable to find valid certification path to requested target"), m);
        assertTrue(m.endsWith("(is --edge-ca the DIR/edge-ca.pem of this edge's 'edge init'?)"), m);
    }

    @ParameterizedTest
    @ValueSource(strings = {"openssl", "jdk", "bc"})
    void anAddressTheCertificateDoesNotCoverIsNamed(String engine) throws Exception {
        System.setProperty("vpctunnel.linkTls", engine);
        Pki.Issued cert = Pki.issue(CA, "edge", List.of("edge.example"), Duration.ofDays(1));
        String m = handshakeWarning(cert, CA, "127.0.0.1");
        assertTrue(m.contains("failed: the edge's certificate does not cover '127.0.0.1': "), m);
        assertTrue(m.contains("matching IP address 127.0.0.1"), m);
        String byName = handshakeWarning(cert, CA, "localhost");
        assertTrue(byName.contains("failed: the edge's certificate does not cover 'localhost': "), byName);
        assertTrue(byName.contains("localhost"), byName);
    }

    /** An edge whose certificate ends within 30 days: the connector says so while its links still work. */
    @Test
    void anEdgeCertificateNearItsEndIsWarnedAbout() throws Exception {
        Pki.Issued cert = Pki.issue(CA, "edge", List.of("localhost", "127.0.0.1"), Duration.ofDays(10).plusHours(1));
        String day = cert.certificate().getNotAfter().toInstant().atOffset(java.time.ZoneOffset.UTC).toLocalDate().toString();
        SslContext server = LinkTls.server(cert.key(), List.of(cert.certificate(), CA.certificate()));
        String m = handshakeWarning(ch -> ch.pipeline().addLast(server.newHandler(ch.alloc())), CA, "127.0.0.1",
                "expires on");
        assertTrue(m.matches("link #0: the certificate of edge 127\\.0\\.0\\.1:\\d+ expires on " + day + " \\(in 10 days\\);"
                + " links to it fail once it has expired \\(its operator renews it: 'edge serve' says how\\)"), m);
    }

    /** An --edge entry that is not an edge: each attempt that fails says so, instead of retrying in silence. */
    @Test
    void anAddressThatAcceptsAndNeverAnswersIsReported() throws Exception {
        long start = System.nanoTime();
        String m = handshakeWarning(ch -> { }, CA, "127.0.0.1");
        assertTrue(m.contains(" failed: no answer, handshake timed out after 5000ms (is this the address of an edge's"
                + " --tunnel-listen?)"), m);
        assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(12), "the handshake timeout is the connect timeout");
    }

    @Test
    void anAddressThatAcceptsAndClosesIsReported() throws Exception {
        String m = handshakeWarning(ch -> ch.eventLoop().execute(ch::close), CA, "127.0.0.1");
        assertTrue(m.endsWith("(is this the address of an edge's --tunnel-listen?)")
                || m.endsWith("(the network path to it failed, or it is not an edge's --tunnel-listen)"), m);
        assertEquals(List.of(), nettyWarnings, "Netty's generic warnings");
    }

    /**
     * After a failed handshake (its warning, above), the slot says at INFO when the next attempt goes; it adds no
     * second warning about the same attempt.
     */
    @Test
    void aFailedHandshakeIsFollowedByOneInfoLineWithTheRetry() throws Exception {
        Logger slotLog = Logger.getLogger(LinkSlot.class.getName());
        slotLog.addHandler(capture);
        try (LogCapture slotWarnings = LogCapture.of(LinkSlot.class, Level.WARNING)) {
            Pki.Issued cert = Pki.issue(CA, "edge", List.of("localhost", "127.0.0.1"), Duration.ofDays(1));
            SslContext server = LinkTls.server(cert.key(), List.of(cert.certificate(), CA.certificate()));
            String m = handshakeWarning(ch -> ch.pipeline().addLast(server.newHandler(ch.alloc())), OTHER_CA, "127.0.0.1",
                    "retrying");
            assertTrue(m.matches("link #0: closed before it registered( \\(.*\\))?; retrying in (\\d+ms|1s) \\(backoff up to 1s\\)"), m);
            assertTrue(warnings.stream().anyMatch(w -> w.startsWith("link #0: TLS handshake with edge 127.0.0.1:")), warnings.toString());
            assertEquals(List.of(), slotWarnings.messages(), "a second warning about the same attempt");
        } finally {
            slotLog.removeHandler(capture);
        }
    }

    /** A socket error during the handshake is no proof of a wrong address: the path may have failed (audit). */
    @Test
    void aSocketErrorDuringTheHandshakeNamesThePathToo() {
        assertEquals("Connection timed out (the network path to it failed, or it is not an edge's --tunnel-listen)",
                ConnectorLinkInitializer.whyHandshakeFailed(new java.io.IOException(
                        "recvAddress(..) failed with error(-110): Connection timed out"), "edge"));
        assertEquals("no route to it, or no answer (ConnectException)",
                dev.vpctunnel.core.net.NativeErrors.connectFailure(new java.net.ConnectException("null: edge.test/10.77.4.5:7844")));
        assertEquals("Connection refused", dev.vpctunnel.core.net.NativeErrors.connectFailure(new java.net.ConnectException(
                "connect(..) failed with error(-111): Connection refused: /127.0.0.1:7844")));
    }

    @Test
    void expiredAndOtherFailuresAreWordedFromTheChain() {
        Throwable expired = new SSLHandshakeException("General OpenSslEngine problem");
        expired.initCause(new CertificateException("validity check failed", new CertificateExpiredException("NotAfter: Sat Jan 01 00:00:00 UTC 2000")));
        assertEquals("the edge's certificate has expired (NotAfter: Sat Jan 01 00:00:00 UTC 2000)",
                ConnectorLinkInitializer.whyHandshakeFailed(expired, "edge"));
        Throwable other = new SSLHandshakeException("General OpenSslEngine problem");
        other.initCause(new CertificateException("Certificate revoked"));
        assertEquals("the edge's certificate was refused: Certificate revoked",
                ConnectorLinkInitializer.whyHandshakeFailed(other, "edge"));
        assertEquals("handshake timed out after 10000ms", ConnectorLinkInitializer.whyHandshakeFailed(
                new javax.net.ssl.SSLException("handshake timed out after 10000ms"), "edge"));
        Throwable wrapped = new javax.net.ssl.SSLException("General OpenSslEngine problem", new java.io.IOException("broken pipe"));
        assertEquals("General OpenSslEngine problem: broken pipe", ConnectorLinkInitializer.whyHandshakeFailed(wrapped, "edge"));
    }
}
