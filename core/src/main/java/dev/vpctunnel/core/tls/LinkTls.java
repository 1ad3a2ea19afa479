package dev.vpctunnel.core.tls;

import io.netty.handler.codec.http2.Http2SecurityUtil;
import io.netty.handler.ssl.ApplicationProtocolConfig;
import io.netty.handler.ssl.ApplicationProtocolNames;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import io.netty.handler.ssl.SupportedCipherSuiteFilter;
import org.bouncycastle.jsse.provider.BouncyCastleJsseProvider;

import javax.net.ssl.SSLException;
import java.security.PrivateKey;
import java.security.Provider;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.logging.Level;
import java.util.logging.Logger;

/** TLS contexts of the tunnel link: TLS 1.3 preferred, 1.2 minimum, ALPN h2, BouncyCastle JSSE. */
public final class LinkTls {
    private static final Logger BC_JSSE_LOG = Logger.getLogger("org.bouncycastle.jsse");
    private static final String[] PROTOCOLS = {"TLSv1.3", "TLSv1.2"};

    static {
        BC_JSSE_LOG.setLevel(Level.WARNING);
        Logger.getLogger("org.bouncycastle.jsse.provider").setLevel(Level.WARNING);
    }

    private LinkTls() {
    }

    private static Provider jsse() {
        return new BouncyCastleJsseProvider();
    }

    private static ApplicationProtocolConfig alpn() {
        return new ApplicationProtocolConfig(ApplicationProtocolConfig.Protocol.ALPN,
                ApplicationProtocolConfig.SelectorFailureBehavior.NO_ADVERTISE,
                ApplicationProtocolConfig.SelectedListenerFailureBehavior.ACCEPT,
                ApplicationProtocolNames.HTTP_2);
    }

    /** The edge's side: presents the edge certificate. */
    public static SslContext server(PrivateKey key, List<X509Certificate> chain) throws SSLException {
        return SslContextBuilder.forServer(key, chain.toArray(X509Certificate[]::new))
                .sslProvider(SslProvider.JDK)
                .sslContextProvider(jsse())
                .protocols(PROTOCOLS)
                .ciphers(Http2SecurityUtil.CIPHERS, SupportedCipherSuiteFilter.INSTANCE)
                .applicationProtocolConfig(alpn())
                .build();
    }

    /** The connector's side: trusts only the given edge CA certificates, verifies the edge's host name. */
    public static SslContext client(List<X509Certificate> trustedCas) throws SSLException {
        return SslContextBuilder.forClient()
                .sslProvider(SslProvider.JDK)
                .sslContextProvider(jsse())
                .protocols(PROTOCOLS)
                .ciphers(Http2SecurityUtil.CIPHERS, SupportedCipherSuiteFilter.INSTANCE)
                .trustManager(trustedCas.toArray(X509Certificate[]::new))
                .endpointIdentificationAlgorithm("HTTPS")
                .applicationProtocolConfig(alpn())
                .build();
    }
}
