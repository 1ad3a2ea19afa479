package dev.vpctunnel.e2e;

import dev.vpctunnel.core.link.TunnelToken;
import org.junit.jupiter.api.Test;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;
import java.net.InetAddress;
import java.security.KeyStore;
import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** The tunnel port speaks TLS 1.3 only (DESIGN.md): a client offering only TLS 1.2 is refused in the handshake. */
class LinkTlsVersionTest {
    private static SSLSocket client(LinkHarness h, String protocol) throws Exception {
        KeyStore trust = KeyStore.getInstance("PKCS12");
        trust.load(null, null);
        trust.setCertificateEntry("edge-ca", h.ca.certificate());
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trust);
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(null, tmf.getTrustManagers(), null);
        SSLSocket s = (SSLSocket) ctx.getSocketFactory().createSocket(InetAddress.getLoopbackAddress(), h.edge.port());
        s.setEnabledProtocols(new String[] {protocol});
        SSLParameters p = s.getSSLParameters();
        p.setApplicationProtocols(new String[] {"h2"});
        s.setSSLParameters(p);
        s.setSoTimeout(5000);
        return s;
    }

    @Test
    void tls12IsRefusedAndTls13Served() throws Exception {
        try (LinkHarness h = new LinkHarness()) {
            try (SSLSocket s = client(h, "TLSv1.2")) {
                assertThrows(SSLException.class, s::startHandshake);
            }
            try (SSLSocket s = client(h, "TLSv1.3")) {
                s.startHandshake();
                assertEquals("TLSv1.3", s.getSession().getProtocol());
                assertEquals("h2", s.getApplicationProtocol());
            }
            TunnelToken t = h.newTunnel();
            h.connect(t, 1);
            LinkHarness.await("a link over TLS 1.3", Duration.ofSeconds(20), () -> h.edge.router().links(t.tunnelId()).size() == 1);
        }
    }
}
