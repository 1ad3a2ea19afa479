package dev.vpctunnel.core.tls;

import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Optional;

/**
 * When a certificate's end is near, in words: the edge's server certificate lasts 825 days from 'edge init', and
 * an expired one fails every link, so both ends say so from {@link #WARN_BEFORE} before it, not only once it failed.
 */
public final class CertificateExpiry {
    public static final Duration WARN_BEFORE = Duration.ofDays(30);

    private CertificateExpiry() {
    }

    /** The day the certificate ends, "2029-03-09" (UTC). */
    public static String endDay(X509Certificate cert) {
        return cert.getNotAfter().toInstant().atOffset(ZoneOffset.UTC).toLocalDate().toString();
    }

    /** "expires on 2029-03-09 (in 12 days)" or "expired on 2029-03-09", when {@code now} is that close; else empty. */
    public static Optional<String> near(X509Certificate cert, Instant now) {
        Instant end = cert.getNotAfter().toInstant();
        Duration left = Duration.between(now, end);
        if (left.compareTo(WARN_BEFORE) > 0) {
            return Optional.empty();
        }
        String day = endDay(cert);
        if (left.isNegative()) {
            return Optional.of("expired on " + day);
        }
        long days = left.toDays();
        return Optional.of("expires on " + day + " (" + (days == 0 ? "within a day" : "in " + days + (days == 1 ? " day" : " days")) + ")");
    }
}
