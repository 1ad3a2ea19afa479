package dev.vpctunnel.core.tls;

import dev.vpctunnel.core.InputFiles;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.jce.provider.BouncyCastleProvider;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;

import java.io.IOException;
import java.io.Reader;
import java.io.StringReader;
import java.io.StringWriter;
import java.math.BigInteger;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.Security;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;

/** Certificates and keys made with BouncyCastle: the edge CA, server certificates, and test CAs. */
public final class Pki {
    private static final SecureRandom RANDOM = new SecureRandom();

    static {
        if (Security.getProvider(BouncyCastleProvider.PROVIDER_NAME) == null) {
            Security.addProvider(new BouncyCastleProvider());
        }
    }

    private Pki() {
    }

    /** A certificate with its private key. */
    public record Issued(X509Certificate certificate, PrivateKey key) {
        public String certificatePem() {
            return toPem(certificate);
        }

        public String keyPem() {
            return toPem(key);
        }
    }

    public static KeyPair newKeyPair() {
        try {
            KeyPairGenerator gen = KeyPairGenerator.getInstance("EC");
            gen.initialize(new ECGenParameterSpec("secp256r1"), RANDOM);
            return gen.generateKeyPair();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot generate an EC key pair", e);
        }
    }

    /** A self-signed CA certificate. */
    public static Issued newCa(String commonName, Duration validity) {
        KeyPair kp = newKeyPair();
        X500Name name = new X500Name("CN=" + commonName);
        try {
            Instant now = Instant.now();
            X509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(name, serial(),
                    Date.from(now.minus(Duration.ofHours(1))), Date.from(now.plus(validity)), name, kp.getPublic());
            JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
            b.addExtension(Extension.basicConstraints, true, new BasicConstraints(0));
            b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
            b.addExtension(Extension.subjectKeyIdentifier, false, ext.createSubjectKeyIdentifier(kp.getPublic()));
            return new Issued(sign(b, kp.getPrivate()), kp.getPrivate());
        } catch (IOException | GeneralSecurityException e) {
            throw new IllegalStateException("cannot create CA certificate", e);
        }
    }

    /** A server (and client) certificate for the given DNS names and IP addresses, signed by the CA. */
    public static Issued issue(Issued ca, String commonName, List<String> sans, Instant notBefore, Instant notAfter) {
        KeyPair kp = newKeyPair();
        try {
            X509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(ca.certificate(), serial(),
                    Date.from(notBefore), Date.from(notAfter), new X500Name("CN=" + commonName), kp.getPublic());
            JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
            b.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
            b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature | KeyUsage.keyEncipherment));
            b.addExtension(Extension.extendedKeyUsage, false,
                    new ExtendedKeyUsage(new KeyPurposeId[] {KeyPurposeId.id_kp_serverAuth, KeyPurposeId.id_kp_clientAuth}));
            b.addExtension(Extension.authorityKeyIdentifier, false, ext.createAuthorityKeyIdentifier(ca.certificate()));
            b.addExtension(Extension.subjectKeyIdentifier, false, ext.createSubjectKeyIdentifier(kp.getPublic()));
            List<GeneralName> names = new ArrayList<>();
            for (String san : sans) {
                names.add(isIpLiteral(san) ? new GeneralName(GeneralName.iPAddress, san) : new GeneralName(GeneralName.dNSName, san));
            }
            if (!names.isEmpty()) {
                b.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(names.toArray(GeneralName[]::new)));
            }
            return new Issued(sign(b, ca.key()), kp.getPrivate());
        } catch (IOException | GeneralSecurityException e) {
            throw new IllegalStateException("cannot issue certificate", e);
        }
    }

    public static Issued issue(Issued ca, String commonName, List<String> sans, Duration validity) {
        Instant now = Instant.now();
        return issue(ca, commonName, sans, now.minus(Duration.ofHours(1)), now.plus(validity));
    }

    public static boolean isIpLiteral(String s) {
        if (s.isEmpty()) {
            return false;
        }
        if (s.indexOf(':') >= 0) {
            return true;
        }
        return s.chars().allMatch(c -> c == '.' || Character.isDigit(c)) && s.chars().filter(c -> c == '.').count() == 3;
    }

    private static X509Certificate sign(X509v3CertificateBuilder b, PrivateKey key) throws GeneralSecurityException {
        try {
            ContentSigner signer = new JcaContentSignerBuilder("SHA256withECDSA").build(key);
            return new JcaX509CertificateConverter().getCertificate(b.build(signer));
        } catch (org.bouncycastle.operator.OperatorCreationException e) {
            throw new GeneralSecurityException(e);
        }
    }

    private static BigInteger serial() {
        return new BigInteger(127, RANDOM).add(BigInteger.ONE);
    }

    public static String toPem(Object o) {
        StringWriter sw = new StringWriter();
        try (JcaPEMWriter w = new JcaPEMWriter(sw)) {
            w.writeObject(o);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        return sw.toString();
    }

    /**
     * How PEM files are read: one char per byte, so text outside the BEGIN/END blocks may hold any bytes (curl's
     * cacert.pem has UTF-8 CA names in its comments) while the base64 inside, being ASCII, reads the same.
     */
    private static final java.nio.charset.Charset PEM_TEXT = StandardCharsets.ISO_8859_1;

    /** Every certificate in a PEM file of the program's own (messages start with the path). */
    public static List<X509Certificate> readCertificates(Path file) throws IOException {
        try {
            return readCertificates(file, null);
        } catch (IllegalArgumentException e) {
            throw new IOException(e.getMessage(), e);
        }
    }

    /**
     * Every certificate in a PEM file given as {@code flag} ("--edge-ca"): a regular file of at most
     * {@link InputFiles#PEM_MAX}. Refusals are IllegalArgumentExceptions "FLAG PATH: reason".
     */
    public static List<X509Certificate> readCertificates(Path file, String flag) {
        byte[] bytes = InputFiles.readBytes(file, flag, InputFiles.PEM_MAX);
        try {
            return readCertificates(new String(bytes, PEM_TEXT), InputFiles.name(file, flag));
        } catch (IOException e) {
            if (InputFiles.utf8(bytes) == null && !new String(bytes, PEM_TEXT).contains("-----BEGIN ")) {
                throw new IllegalArgumentException(InputFiles.name(file, flag) + ": not a PEM file (binary file?)");
            }
            throw new IllegalArgumentException(e.getMessage());
        }
    }

    public static List<X509Certificate> readCertificates(String pem, String source) throws IOException {
        List<X509Certificate> out = new ArrayList<>();
        try (PEMParser p = new PEMParser(new StringReader(pem))) {
            Object o;
            while ((o = p.readObject()) != null) {
                if (o instanceof org.bouncycastle.cert.X509CertificateHolder h) {
                    out.add(new JcaX509CertificateConverter().getCertificate(h));
                }
            }
        } catch (GeneralSecurityException | IOException | RuntimeException e) { // IOException: BC's "problem parsing cert"
            throw new IOException(source + ": not a valid PEM certificate: " + e.getMessage(), e);
        }
        if (out.isEmpty()) {
            throw new IOException(source + ": no PEM certificate found");
        }
        return out;
    }

    public static PrivateKey readPrivateKey(Path file) throws IOException {
        String pem;
        try {
            pem = new String(InputFiles.readBytes(file, null, InputFiles.PEM_MAX), PEM_TEXT);
        } catch (IllegalArgumentException e) {
            throw new IOException(e.getMessage(), e);
        }
        Object o;
        try (Reader r = new StringReader(pem); PEMParser p = new PEMParser(r)) {
            o = p.readObject();
        } catch (IOException | RuntimeException e) { // BC's "-----END PRIVATE KEY----- not found" names no file
            throw new IOException(file + ": not a valid PEM private key: " + e.getMessage(), e);
        }
        JcaPEMKeyConverter conv = new JcaPEMKeyConverter();
        if (o instanceof PEMKeyPair kp) {
            return conv.getKeyPair(kp).getPrivate();
        }
        if (o instanceof PrivateKeyInfo info) {
            return conv.getPrivateKey(info);
        }
        throw new IOException(file + ": no PEM private key found");
    }

    /** Writes a file readable by its owner only (created that way, never briefly world-readable). */
    public static void writePrivate(Path file, String content) throws IOException {
        Files.deleteIfExists(file);
        Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        Files.writeString(file, content, StandardCharsets.US_ASCII);
    }

    public static List<String> defaultSans(List<String> extra) {
        List<String> sans = new ArrayList<>(List.of("localhost", "127.0.0.1", "::1"));
        try {
            String host = InetAddress.getLocalHost().getHostName();
            if (host != null && !host.isBlank() && !sans.contains(host)) {
                sans.add(host);
            }
        } catch (IOException ignored) {
            // no resolvable host name: the literal names above still work
        }
        for (String s : extra) {
            if (!sans.contains(s)) {
                sans.add(s);
            }
        }
        return sans;
    }
}
