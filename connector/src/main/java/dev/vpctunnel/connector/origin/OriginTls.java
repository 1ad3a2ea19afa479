package dev.vpctunnel.connector.origin;

import dev.vpctunnel.core.InputFiles;
import dev.vpctunnel.core.tls.Pki;
import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslProvider;
import io.netty.util.NetUtil;

import javax.net.ssl.SNIHostName;
import javax.net.ssl.SNIServerName;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.StandardConstants;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedTrustManager;
import javax.net.ssl.X509TrustManager;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.CertificateException;
import java.security.cert.CertificateExpiredException;
import java.security.cert.CertificateNotYetValidException;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;
import java.util.logging.Logger;

/**
 * The client TLS context for origins, built once: trust = the JVM's CA store + the Origin CA roots shipped in the jar
 * (classpath {@code origin-ca/}) + every {@code --origin-ca} file. Host names are always verified (DNS or IP SAN).
 */
final class OriginTls {
    private static final Logger LOG = Logger.getLogger(OriginTls.class.getName());
    /** The Origin CA bundle packaged from the repo's certs/ directory. */
    static final List<String> BUNDLED = List.of(
            "origin-ca/cloudflare-origin-ca-rsa-root.pem",
            "origin-ca/cloudflare-origin-ca-ecc-root-2016-expired.pem");

    private final SslContext context;
    /** For names with characters outside letters, digits and hyphens (an underscore): verified by {@link #nameMatches}. */
    private final SslContext lenientNameContext;
    private final int trustedCount;
    private final java.util.Set<String> anchorSubjects = new java.util.HashSet<>();

    /** {@code label} names where the files came from in refusals ("--origin-ca", or a config file's key). */
    OriginTls(List<Path> originCaFiles, String label) {
        try {
            KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
            store.load(null, null);
            int n = 0;
            for (X509Certificate c : jvmDefaultCas()) {
                store.setCertificateEntry("jvm-" + n++, c);
            }
            for (String resource : BUNDLED) {
                for (X509Certificate c : valid(bundled(resource), resource, false)) {
                    store.setCertificateEntry("bundle-" + n++, c);
                }
            }
            for (Path file : originCaFiles) {
                for (X509Certificate c : valid(Pki.readCertificates(file, label), InputFiles.name(file, label), true)) {
                    store.setCertificateEntry("origin-ca-" + n++, c);
                }
            }
            trustedCount = n;
            for (String alias : java.util.Collections.list(store.aliases())) {
                anchorSubjects.add(((X509Certificate) store.getCertificate(alias)).getSubjectX500Principal().getName());
            }
            TrustManagerFactory tmf = TrustManagerFactory.getInstance("PKIX");
            tmf.init(store);
            context = SslContextBuilder.forClient()
                    .sslProvider(SslProvider.JDK)
                    .trustManager(tmf)
                    .endpointIdentificationAlgorithm("HTTPS")
                    .protocols("TLSv1.3", "TLSv1.2")
                    .build();
            X509ExtendedTrustManager pkix = null;
            for (var tm : tmf.getTrustManagers()) {
                if (tm instanceof X509ExtendedTrustManager x) {
                    pkix = x;
                }
            }
            // The JDK's endpoint identification refuses names outside LDH ("Illegal given domain name"), yet private
            // networks name hosts like my_service.internal: for those the same chain check, then our own name check.
            lenientNameContext = SslContextBuilder.forClient()
                    .sslProvider(SslProvider.JDK)
                    .trustManager(new NameCheckingTrustManager(pkix))
                    .endpointIdentificationAlgorithm(null)
                    .protocols("TLSv1.3", "TLSv1.2")
                    .build();
        } catch (GeneralSecurityException | IOException e) {
            throw new IllegalStateException("cannot build the origin TLS context: " + e.getMessage(), e);
        }
    }

    int trustedCount() {
        return trustedCount;
    }

    /** Whether a trust anchor with this subject (RFC 2253 form) is in the store. */
    boolean trustsSubject(String subject) {
        return anchorSubjects.contains(subject);
    }

    /** A handler for one origin connection: SNI = serverName (when it is a name), verified against the certificate. */
    SslHandler newHandler(ByteBufAllocator alloc, String serverName, int port, int handshakeTimeoutMs) {
        SNIServerName sni = sniName(serverName);
        SslHandler h = (sni instanceof LenientHostName ? lenientNameContext : context).newHandler(alloc, serverName, port);
        h.setHandshakeTimeoutMillis(handshakeTimeoutMs);
        if (sni != null) {
            // the JDK derives SNI from the peer host only for names with a dot: "https://api/" went out without one
            SSLParameters p = h.engine().getSSLParameters();
            p.setServerNames(List.of(sni));
            h.engine().setSSLParameters(p);
        }
        return h;
    }

    /**
     * The SNI name for serverName: none for an IP address (RFC 6066); an {@link SNIHostName} for an LDH name; a
     * {@link LenientHostName} for a name whose labels also hold underscores (the JDK's SNIHostName refuses those, OpenSSL
     * clients such as curl send them); none for anything else.
     */
    static SNIServerName sniName(String serverName) {
        if (serverName == null || serverName.isEmpty() || NetUtil.isValidIpV4Address(serverName)
                || NetUtil.isValidIpV6Address(serverName)) {
            return null;
        }
        String name = serverName.endsWith(".") ? serverName.substring(0, serverName.length() - 1) : serverName;
        try {
            return new SNIHostName(name);
        } catch (IllegalArgumentException e) {
            return LENIENT_NAME.matcher(name).matches() && name.length() <= 253
                    ? new LenientHostName(name.toLowerCase(Locale.ROOT)) : null;
        }
    }

    private static final Pattern LENIENT_NAME = Pattern.compile(
            "[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?(?:\\.[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?)*");

    /** A host_name SNI entry the JDK's SNIHostName would refuse: ASCII letters, digits, hyphens and underscores. */
    static final class LenientHostName extends SNIServerName {
        LenientHostName(String name) {
            super(StandardConstants.SNI_HOST_NAME, name.getBytes(StandardCharsets.US_ASCII));
        }
    }

    /**
     * Whether the leaf certificate names host (lower-cased, no trailing dot) in a DNS subject alternative name: equal
     * ignoring case, or a wildcard {@code *.rest} standing for exactly one leftmost label.
     */
    static boolean nameMatches(String host, X509Certificate leaf) throws CertificateParsingException {
        String h = host.toLowerCase(Locale.ROOT);
        if (h.endsWith(".")) {
            h = h.substring(0, h.length() - 1);
        }
        Collection<List<?>> sans = leaf.getSubjectAlternativeNames();
        if (sans == null) {
            return false;
        }
        for (List<?> san : sans) {
            if (!Integer.valueOf(2).equals(san.get(0)) || !(san.get(1) instanceof String dns)) {
                continue;
            }
            String d = dns.toLowerCase(Locale.ROOT);
            if (d.endsWith(".")) {
                d = d.substring(0, d.length() - 1);
            }
            if (d.equals(h)) {
                return true;
            }
            if (d.startsWith("*.") && d.length() > 2 && d.indexOf('*', 1) < 0) {
                int dot = h.indexOf('.');
                if (dot > 0 && h.substring(dot + 1).equals(d.substring(2))) {
                    return true;
                }
            }
        }
        return false;
    }

    /** The PKIX chain check of the JVM, then {@link #nameMatches} against the host the engine was created for. */
    private static final class NameCheckingTrustManager extends X509ExtendedTrustManager {
        private final X509ExtendedTrustManager pkix;

        NameCheckingTrustManager(X509ExtendedTrustManager pkix) {
            this.pkix = pkix;
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
            pkix.checkServerTrusted(chain, authType, engine);
            checkName(chain, engine == null ? null : engine.getPeerHost());
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
            throw new CertificateException("origin TLS runs on SSLEngine only");
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
            throw new CertificateException("origin TLS needs the engine to know the host name");
        }

        private static void checkName(X509Certificate[] chain, String host) throws CertificateException {
            if (host == null || chain.length == 0) {
                throw new CertificateException("No name to verify the certificate against");
            }
            if (!nameMatches(host, chain[0])) {
                throw new CertificateException("No name matching " + host + " found");
            }
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
            throw new CertificateException("not a server");
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
            throw new CertificateException("not a server");
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
            throw new CertificateException("not a server");
        }

        @Override
        public X509Certificate[] getAcceptedIssuers() {
            return pkix.getAcceptedIssuers();
        }
    }

    private static List<X509Certificate> jvmDefaultCas() throws GeneralSecurityException {
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init((KeyStore) null);
        List<X509Certificate> out = new ArrayList<>();
        for (var tm : tmf.getTrustManagers()) {
            if (tm instanceof X509TrustManager x) {
                out.addAll(List.of(x.getAcceptedIssuers()));
            }
        }
        return out;
    }

    private static List<X509Certificate> bundled(String resource) throws IOException {
        try (InputStream in = OriginTls.class.getClassLoader().getResourceAsStream(resource)) {
            if (in == null) {
                LOG.warning("Origin CA bundle entry " + resource + " is missing from the classpath");
                return List.of();
            }
            return Pki.readCertificates(new String(in.readAllBytes(), StandardCharsets.US_ASCII), resource);
        }
    }

    /** Expired or not-yet-valid roots are left out: an expired root must verify nothing. */
    private static List<X509Certificate> valid(List<X509Certificate> certs, String source, boolean userFile) {
        List<X509Certificate> out = new ArrayList<>();
        for (X509Certificate c : certs) {
            try {
                c.checkValidity();
                out.add(c);
            } catch (CertificateExpiredException | CertificateNotYetValidException e) {
                LOG.fine(() -> source + ": skipping " + c.getSubjectX500Principal() + ": " + e.getMessage());
            }
        }
        if (userFile && out.isEmpty()) {
            throw new IllegalArgumentException(source + ": no certificate in it is currently valid (expired?)");
        }
        return out;
    }

    /** The reason of a failed handshake, in words a user recognises. */
    static String reason(Throwable t) {
        StringBuilder chain = new StringBuilder();
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (c instanceof CertificateExpiredException) {
                return "certificate expired: " + c.getMessage();
            }
            if (c instanceof CertificateNotYetValidException) {
                return "certificate not yet valid: " + c.getMessage();
            }
            chain.append(' ').append(c.getMessage());
        }
        String all = chain.toString();
        if (all.contains("No subject alternative") || all.contains("No name matching")) {
            return "name mismatch: " + last(t).getMessage();
        }
        if (all.contains("PKIX path building failed") || all.contains("unable to find valid certification path")) {
            return "untrusted issuer: the certificate chain does not lead to a trusted CA";
        }
        if (all.contains("validity check failed") || all.contains("expired")) {
            return "certificate expired: " + last(t).getMessage();
        }
        if (t instanceof SSLException && t.getMessage() != null) {
            return t.getMessage();
        }
        return String.valueOf(last(t).getMessage() == null ? last(t) : last(t).getMessage());
    }

    private static Throwable last(Throwable t) {
        Throwable c = t;
        while (c.getCause() != null && c.getCause() != c) {
            c = c.getCause();
        }
        return c;
    }
}
