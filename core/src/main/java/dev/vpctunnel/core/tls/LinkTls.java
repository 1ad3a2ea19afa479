package dev.vpctunnel.core.tls;

import io.netty.handler.codec.http2.Http2SecurityUtil;
import io.netty.handler.ssl.ApplicationProtocolConfig;
import io.netty.handler.ssl.ApplicationProtocolNames;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import io.netty.handler.ssl.SupportedCipherSuiteFilter;
import org.bouncycastle.jsse.provider.BouncyCastleJsseProvider;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLException;
import javax.net.ssl.TrustManagerFactory;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.Provider;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * TLS contexts of the tunnel link: TLS 1.3 preferred, 1.2 minimum, ALPN h2. The engine is chosen by the system
 * property {@code vpctunnel.linkTls} or the environment variable {@code VPC_LINK_TLS}: {@code openssl} (BoringSSL
 * through netty-tcnative-boringssl-static, the default; BouncyCastle JSSE where tcnative cannot load), {@code bc}
 * (BouncyCastle JSSE, the previous default) or {@code jdk} (the JDK's SunJSSE). Certificates are made with
 * BouncyCastle whichever engine runs the link. Measured side by side in scripts/BENCH.md: openssl vs bc = 1.2x req/s
 * at 1 KiB x 50 connections, 1.45x MB/s at 1 MiB x 50, 0.66-0.87x CPU per request.
 */
public final class LinkTls {
    /** Which TLS engine runs the link. */
    public enum Engine { BC, JDK, OPENSSL }
    private static final Logger BC_JSSE_LOG = Logger.getLogger("org.bouncycastle.jsse");
    /** TLS 1.3 only (DESIGN.md): both ends are ours; a 1.2 client is refused in the handshake. */
    private static final String[] PROTOCOLS = {"TLSv1.3"};

    static {
        BC_JSSE_LOG.setLevel(Level.WARNING);
        Logger.getLogger("org.bouncycastle.jsse.provider").setLevel(Level.WARNING);
    }

    private LinkTls() {
    }

    private static final Provider JSSE = new BouncyCastleJsseProvider();

    /** The engine configured for this process (see the class comment). */
    public static Engine engine() {
        String v = System.getProperty("vpctunnel.linkTls");
        if (v == null || v.isBlank()) {
            v = System.getenv("VPC_LINK_TLS");
        }
        if (v == null || v.isBlank()) {
            v = "openssl";
        }
        Engine e = switch (v.trim().toLowerCase(java.util.Locale.ROOT)) {
            case "bc", "bouncycastle" -> Engine.BC;
            case "jdk" -> Engine.JDK;
            case "openssl", "boringssl" -> Engine.OPENSSL;
            default -> throw new IllegalArgumentException("VPC_LINK_TLS / vpctunnel.linkTls: expected bc, jdk or openssl, got '" + v + "'");
        };
        if (e == Engine.OPENSSL && !io.netty.handler.ssl.OpenSsl.isAvailable()) {
            Logger.getLogger(LinkTls.class.getName()).warning("OpenSSL (netty-tcnative) is not available here, the link uses BouncyCastle JSSE: "
                    + io.netty.handler.ssl.OpenSsl.unavailabilityCause());
            return Engine.BC;
        }
        return e;
    }

    /** What both sides share: the engine's provider, TLS 1.3 with HTTP/2's ciphers, ALPN h2. */
    private static SslContextBuilder common(SslContextBuilder b, Engine engine) {
        switch (engine) {
            case BC -> b.sslProvider(SslProvider.JDK).sslContextProvider(JSSE);
            case JDK -> b.sslProvider(SslProvider.JDK);
            case OPENSSL -> b.sslProvider(SslProvider.OPENSSL);
        }
        return b.protocols(PROTOCOLS)
                .ciphers(Http2SecurityUtil.CIPHERS, SupportedCipherSuiteFilter.INSTANCE)
                .applicationProtocolConfig(alpn());
    }

    private static ApplicationProtocolConfig alpn() {
        return new ApplicationProtocolConfig(ApplicationProtocolConfig.Protocol.ALPN,
                ApplicationProtocolConfig.SelectorFailureBehavior.NO_ADVERTISE,
                ApplicationProtocolConfig.SelectedListenerFailureBehavior.ACCEPT,
                ApplicationProtocolNames.HTTP_2);
    }

    /** Key managers from BC JSSE itself: it selects EC keys for TLS 1.3 where the JDK's SunX509 one does not. */
    static KeyManagerFactory keyManagers(PrivateKey key, List<X509Certificate> chain) throws SSLException {
        try {
            KeyStore ks = KeyStore.getInstance("PKCS12");
            ks.load(null, null);
            char[] pw = "link".toCharArray();
            ks.setKeyEntry("edge", key, pw, chain.toArray(X509Certificate[]::new));
            KeyManagerFactory kmf = KeyManagerFactory.getInstance("PKIX", JSSE);
            kmf.init(ks, pw);
            return kmf;
        } catch (GeneralSecurityException | java.io.IOException e) {
            throw new SSLException("cannot load the edge key and certificate: " + e.getMessage(), e);
        }
    }

    /** Trust managers that accept exactly the given CA certificates. */
    public static TrustManagerFactory trustManagers(List<X509Certificate> cas) throws SSLException {
        try {
            KeyStore ks = KeyStore.getInstance("PKCS12");
            ks.load(null, null);
            int i = 0;
            for (X509Certificate c : cas) {
                ks.setCertificateEntry("ca-" + i++, c);
            }
            TrustManagerFactory tmf = TrustManagerFactory.getInstance("PKIX", JSSE);
            tmf.init(ks);
            return tmf;
        } catch (GeneralSecurityException | java.io.IOException e) {
            throw new SSLException("cannot load trusted certificates: " + e.getMessage(), e);
        }
    }

    /** The edge's side: presents the edge certificate. */
    public static SslContext server(PrivateKey key, List<X509Certificate> chain) throws SSLException {
        Engine engine = engine();
        SslContextBuilder b = engine == Engine.BC ? SslContextBuilder.forServer(keyManagers(key, chain))
                : SslContextBuilder.forServer(key, chain.toArray(X509Certificate[]::new));
        return common(b, engine).build();
    }

    /** The connector's side: trusts only the given edge CA certificates, verifies the edge's host name. */
    public static SslContext client(List<X509Certificate> trustedCas) throws SSLException {
        Engine engine = engine();
        SslContextBuilder b = SslContextBuilder.forClient();
        if (engine == Engine.BC) {
            b.trustManager(trustManagers(trustedCas));
        } else {
            b.trustManager(trustedCas.toArray(X509Certificate[]::new));
        }
        return common(b, engine).endpointIdentificationAlgorithm("HTTPS").build();
    }
}
