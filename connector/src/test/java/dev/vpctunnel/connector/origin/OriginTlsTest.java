package dev.vpctunnel.connector.origin;

import dev.vpctunnel.core.tls.Pki;
import dev.vpctunnel.proto.ConnectError;
import dev.vpctunnel.proto.ConnectRequest;
import dev.vpctunnel.proto.ErrorCode;
import dev.vpctunnel.proto.Scheme;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** HTTPS origins: trust = JVM CAs + bundled Origin CA roots + --origin-ca; SNI and host name verified. */
class OriginTlsTest {
    @TempDir
    static Path dir;
    static TestOrigin trusted;
    static TestOrigin untrusted;
    static TestOrigin expired;
    /** Certificate for my_svc.internal and *.under_scored.internal; OpenSSL accepts such SNI where the JDK's server refuses it. */
    static TestOrigin underscored;
    static TestOrigin underscoredUntrusted;
    static TestLink link;

    @BeforeAll
    static void start() throws Exception {
        Pki.Issued ca = Pki.newCa("test origin CA", Duration.ofDays(1));
        Pki.Issued otherCa = Pki.newCa("someone else's CA", Duration.ofDays(1));
        Path caFile = dir.resolve("origin-ca.pem");
        Files.writeString(caFile, ca.certificatePem());
        List<String> sans = List.of("api.internal", "127.0.0.1");
        trusted = new TestOrigin("127.0.0.1", server(Pki.issue(ca, "api.internal", sans, Duration.ofDays(1))));
        untrusted = new TestOrigin("127.0.0.1", server(Pki.issue(otherCa, "api.internal", sans, Duration.ofDays(1))));
        Instant past = Instant.now().minus(Duration.ofDays(10));
        expired = new TestOrigin("127.0.0.1", server(Pki.issue(ca, "api.internal", sans, past, past.plus(Duration.ofDays(1)))));
        Pki.Issued underscoredCert = Pki.issue(ca, "my_svc.internal", List.of("my_svc.internal", "*.under_scored.internal"),
                Duration.ofDays(1));
        underscored = new TestOrigin("127.0.0.1", SslContextBuilder.forServer(underscoredCert.key(),
                underscoredCert.certificate()).sslProvider(SslProvider.OPENSSL).build());
        Pki.Issued strangerCert = Pki.issue(otherCa, "my_svc.internal", List.of("my_svc.internal"), Duration.ofDays(1));
        underscoredUntrusted = new TestOrigin("127.0.0.1", SslContextBuilder.forServer(strangerCert.key(),
                strangerCert.certificate()).sslProvider(SslProvider.OPENSSL).build());
        link = new TestLink(new OriginConfig(List.of(caFile), List.of(), List.of()));
    }

    private static SslContext server(Pki.Issued cert) throws Exception {
        return SslContextBuilder.forServer(cert.key(), cert.certificate()).sslProvider(SslProvider.JDK).build();
    }

    @AfterAll
    static void stop() {
        link.close();
        trusted.close();
        untrusted.close();
        expired.close();
        underscored.close();
        underscoredUntrusted.close();
    }

    static ConnectRequest https(int port, String serverName) {
        return ConnectRequest.newBuilder().addAddresses("127.0.0.1").setPort(port).setScheme(Scheme.HTTPS)
                .setServerName(serverName).setConnectTimeoutMs(3000).setTlsTimeoutMs(3000).build();
    }

    private static ConnectError failure(ConnectRequest cr) throws Exception {
        TestLink.Fetch f = link.get(cr, "/hello");
        HttpResponse r = f.response();
        assertEquals(502, r.status().code());
        ConnectError e = TestLink.error(r);
        assertNotNull(e);
        return e;
    }

    @Test
    void originCaGivenWithOriginCaFileIsTrusted() throws Exception {
        long t0 = System.nanoTime();
        TestLink.Fetch f = link.get(https(trusted.port(), "api.internal"), "/hello");
        assertEquals(201, f.response().status().code());
        System.out.printf("first https fetch (TCP + TLS handshake, JDK provider): %d ms%n", (System.nanoTime() - t0) / 1_000_000);
        assertEquals("hello world", f.bodyText());
        // and the TLS connection is pooled like a plain one
        String a = link.get(https(trusted.port(), "api.internal"), "/conn").bodyText();
        long t1 = System.nanoTime();
        String b = link.get(https(trusted.port(), "api.internal"), "/conn").bodyText();
        System.out.printf("https fetch on a pooled connection: %d ms%n", (System.nanoTime() - t1) / 1_000_000);
        assertEquals(a, b);
    }

    @Test
    void sniIsTheServerNameWithOrWithoutADotButNeverAnAddress() {
        OriginTls tls = new OriginTls(List.of(), "--origin-ca");
        for (String name : List.of("api", "api.internal", "localhost", "db.corp.internal.")) {
            var h = tls.newHandler(io.netty.buffer.ByteBufAllocator.DEFAULT, name, 443, 1000);
            assertEquals(List.of(new javax.net.ssl.SNIHostName(name.replaceAll("\\.$", ""))),
                    h.engine().getSSLParameters().getServerNames(), name);
        }
        for (String address : List.of("127.0.0.1", "::1", "fd00::5")) {
            var h = tls.newHandler(io.netty.buffer.ByteBufAllocator.DEFAULT, address, 443, 1000);
            var names = h.engine().getSSLParameters().getServerNames();
            assertTrue(names == null || names.isEmpty(), address);
        }
    }

    @Test
    void namesWithUnderscoresAreSentAsSniAndVerified() throws Exception {
        for (String name : List.of("my_svc.internal", "MY_SVC.internal.", "a_b.under_scored.internal")) {
            TestLink.Fetch f = link.get(https(underscored.port(), name), "/hello");
            assertEquals(201, f.response().status().code(), name + ": " + TestLink.error(f.response()));
            String sent = name.toLowerCase(java.util.Locale.ROOT).replaceAll("\\.$", "");
            assertEquals(sent, underscored.lastSni.get(), name);
        }
        for (String name : List.of("other_svc.internal", "x.a_b.under_scored.internal", "my_svc.internal.evil")) {
            ConnectError e = failure(https(underscored.port(), name));
            assertEquals(ErrorCode.TLS_FAILED, e.getCode(), name);
            assertTrue(e.getMessage().contains("name mismatch"), name + ": " + e.getMessage());
        }
        // the chain is still checked: a certificate from an unknown issuer is refused for such a name too
        ConnectError e = failure(https(underscoredUntrusted.port(), "my_svc.internal"));
        assertTrue(e.getMessage().contains("untrusted issuer"), e.getMessage());
    }

    @Test
    void ipAddressSanIsVerified() throws Exception {
        TestLink.Fetch f = link.get(https(trusted.port(), "127.0.0.1"), "/hello");
        assertEquals(201, f.response().status().code());
    }

    @Test
    void untrustedIssuerFails() throws Exception {
        ConnectError e = failure(https(untrusted.port(), "api.internal"));
        assertEquals(ErrorCode.TLS_FAILED, e.getCode());
        assertTrue(e.getMessage().contains("untrusted issuer"), e.getMessage());
        assertFalse(e.getTimedOut(), "a refused certificate is no timeout (502)");
    }

    @Test
    void wrongNameFails() throws Exception {
        ConnectError e = failure(https(trusted.port(), "other.internal"));
        assertEquals(ErrorCode.TLS_FAILED, e.getCode());
        assertTrue(e.getMessage().contains("name mismatch"), e.getMessage());
    }

    @Test
    void expiredCertificateFails() throws Exception {
        ConnectError e = failure(https(expired.port(), "api.internal"));
        assertEquals(ErrorCode.TLS_FAILED, e.getCode());
        assertTrue(e.getMessage().contains("expired"), e.getMessage());
    }

    @Test
    void plainHttpOriginSpokenToWithHttpsFails() throws Exception {
        try (TestOrigin plain = new TestOrigin("127.0.0.1", null)) {
            ConnectError e = failure(https(plain.port(), "api.internal"));
            assertEquals(ErrorCode.TLS_FAILED, e.getCode());
        }
    }

    @Test
    void bundledOriginCaRootsAreOnTheClasspath() throws Exception {
        for (String r : OriginTls.BUNDLED) {
            assertNotNull(OriginTls.class.getClassLoader().getResource(r), r);
        }
        // JVM CAs + the valid RSA Origin CA root; the expired 2016 ECC root is left out.
        OriginTls tls = new OriginTls(List.of(), "--origin-ca");
        assertTrue(tls.trustedCount() > 1);
        var rsa = Pki.readCertificates(Path.of("../certs/cloudflare-origin-ca-rsa-root.pem")).get(0);
        var ecc2016 = Pki.readCertificates(Path.of("../certs/cloudflare-origin-ca-ecc-root-2016-expired.pem")).get(0);
        assertTrue(tls.trustsSubject(rsa.getSubjectX500Principal().getName()), "the Origin CA RSA root is trusted");
        assertTrue(!tls.trustsSubject(ecc2016.getSubjectX500Principal().getName()), "the expired 2016 ECC root is left out");
    }

    @Test
    void badConfigurationNamesTheCulprit() throws Exception {
        Path missing = dir.resolve("nope.pem");
        IllegalArgumentException a = assertThrows(IllegalArgumentException.class,
                () -> new OriginService(new OriginConfig(List.of(missing), List.of(), List.of()), link.group));
        assertEquals("--origin-ca " + missing + ": no such file", a.getMessage());
        // roots named in a config file: the refusals name its key, not a flag the user never typed
        String key = "/etc/vpc/config.yml: key 'origin-ca'";
        IllegalArgumentException k = assertThrows(IllegalArgumentException.class,
                () -> new OriginService(new OriginConfig(List.of(missing), key, List.of(), List.of()), link.group));
        assertEquals(key + " " + missing + ": no such file", k.getMessage());
        Path garbage = dir.resolve("garbage.pem");
        Files.writeString(garbage, "not a certificate");
        IllegalArgumentException b = assertThrows(IllegalArgumentException.class,
                () -> new OriginService(new OriginConfig(List.of(garbage), List.of(), List.of()), link.group));
        assertTrue(b.getMessage().contains("garbage.pem"), b.getMessage());
        IllegalArgumentException c = assertThrows(IllegalArgumentException.class,
                () -> new OriginService(new OriginConfig(List.of(), List.of("10.0.0.0/33"), List.of()), link.group));
        assertTrue(c.getMessage().contains("10.0.0.0/33"), c.getMessage());
        IllegalArgumentException d = assertThrows(IllegalArgumentException.class,
                () -> new OriginService(new OriginConfig(List.of(), List.of(), List.of("example.com")), link.group));
        assertTrue(d.getMessage().contains("example.com"), d.getMessage());
    }

    @Test
    void anOriginCaThatIsHugeBinaryOrNotAFileIsRefusedInOneLine() throws Exception {
        Path big = dir.resolve("huge.pem");
        try (java.io.RandomAccessFile f = new java.io.RandomAccessFile(big.toFile(), "rw")) {
            f.setLength(3L << 30); // sparse: read whole, it was an OutOfMemoryError
        }
        Path bin = dir.resolve("bin.der");
        Files.write(bin, new byte[] {0x30, (byte) 0x82, 0x01, 0x0a, 0x00, (byte) 0xff});
        Path fifo = dir.resolve("origin-fifo");
        boolean haveFifo = new ProcessBuilder("mkfifo", fifo.toString()).start().waitFor() == 0;
        java.util.Map<Path, String> cases = new java.util.LinkedHashMap<>();
        cases.put(big, "larger than 4 MiB");
        cases.put(bin, "not a PEM file (binary file?)");
        cases.put(Path.of("/dev/zero"), "not a regular file (a device, FIFO or socket)");
        if (haveFifo) {
            cases.put(fifo, "not a regular file (a device, FIFO or socket)"); // it blocked the start for ever
        }
        for (var c : cases.entrySet()) {
            IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertTimeoutPreemptively(java.time.Duration.ofSeconds(20),
                    () -> assertThrows(IllegalArgumentException.class,
                            () -> new OriginService(new OriginConfig(List.of(c.getKey()), List.of(), List.of()), link.group)));
            assertEquals("--origin-ca " + c.getKey() + ": " + c.getValue(), e.getMessage());
        }
    }
}
