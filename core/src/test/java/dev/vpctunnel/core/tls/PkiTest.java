package dev.vpctunnel.core.tls;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** PEM files as they come: CA bundles with comments in any encoding around the certificates. */
class PkiTest {
    @TempDir
    Path dir;

    private final Pki.Issued a = Pki.newCa("first CA", Duration.ofDays(1));
    private final Pki.Issued b = Pki.newCa("second CA", Duration.ofDays(1));

    @Test
    void aBundleWithUtf8CommentsLikeCurlsCacertPemIsRead() throws IOException {
        // the layout of curl's cacert.pem: a header of '##' comments, then each CA's name (UTF-8), '=' underline, PEM
        String bundle = "##\n## Bundle of CA Root Certificates\n## Certificate data from Mozilla as of: Tue Jan 1 2030\n##\n\n"
                + "NetLock Arany (Class Gold) Főtanúsítvány\n========================================\n"
                + Pki.toPem(a.certificate()) + "\n"
                + "TÜBİTAK Kamu SM SSL Kök Sertifikası - Sürüm 1 — ☃\n==================================\n"
                + Pki.toPem(b.certificate());
        Path f = dir.resolve("cacert.pem");
        Files.writeString(f, bundle, StandardCharsets.UTF_8);
        assertEquals(List.of(a.certificate(), b.certificate()), Pki.readCertificates(f));
    }

    @Test
    void bytesThatAreNotEvenUtf8OutsideTheBlocksDoNotMatter() throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write("# Latin-1 comment: caf".getBytes(StandardCharsets.US_ASCII));
        out.write(0xE9); // é in ISO-8859-1, an invalid byte in UTF-8
        out.write(new byte[] {'\n', (byte) 0xFF, (byte) 0xFE, '\n'});
        out.write(Pki.toPem(a.certificate()).getBytes(StandardCharsets.US_ASCII));
        Path f = dir.resolve("latin1.pem");
        Files.write(f, out.toByteArray());
        List<X509Certificate> certs = Pki.readCertificates(f);
        assertEquals(List.of(a.certificate()), certs);
    }

    @Test
    void aPrivateKeyAfterAUtf8CommentIsRead() throws IOException {
        Path f = dir.resolve("key.pem");
        Files.writeString(f, "# clé de l'edge\n" + Pki.toPem(new org.bouncycastle.openssl.jcajce.JcaPKCS8Generator(a.key(), null)),
                StandardCharsets.UTF_8);
        assertEquals(((java.security.interfaces.ECPrivateKey) a.key()).getS(),
                ((java.security.interfaces.ECPrivateKey) Pki.readPrivateKey(f)).getS());
    }

    @Test
    void aFileWithoutCertificatesIsStillRefused() throws IOException {
        Path f = dir.resolve("none.pem");
        Files.writeString(f, "## Főtanúsítvány, but no certificate\n", StandardCharsets.UTF_8);
        IOException e = assertThrows(IOException.class, () -> Pki.readCertificates(f));
        assertTrue(e.getMessage().equals(f + ": no PEM certificate found"), e.getMessage());
    }

    @Test
    void aTruncatedCertificateIsRefusedNamingTheFile() throws IOException {
        Pki.Issued a = Pki.newCa("t", java.time.Duration.ofDays(1));
        String pem = Pki.toPem(a.certificate());
        Path f = dir.resolve("cut.pem");
        String[] lines = pem.split("\n");
        // keep the BEGIN/END lines, drop most of the base64 body
        Files.writeString(f, lines[0] + "\n" + lines[1] + "\n" + lines[2] + "\n" + lines[lines.length - 1] + "\n");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Pki.readCertificates(f, "--edge-ca"));
        assertTrue(e.getMessage().startsWith("--edge-ca " + f + ": not a valid PEM certificate: "), e.getMessage());
    }

    @Test
    void aTruncatedPrivateKeyIsRefusedNamingTheFile() throws IOException {
        Pki.Issued a = Pki.newCa("t", java.time.Duration.ofDays(1));
        String pem = Pki.toPem(new org.bouncycastle.openssl.jcajce.JcaPKCS8Generator(a.key(), null));
        Path f = dir.resolve("cut.key");
        Files.writeString(f, pem.substring(0, pem.length() / 2));
        IOException e = assertThrows(IOException.class, () -> Pki.readPrivateKey(f));
        assertTrue(e.getMessage().startsWith(f + ": not a valid PEM private key: "), e.getMessage());
    }
}
