package dev.vpctunnel.connector.origin;

import dev.vpctunnel.core.net.OncePer;
import dev.vpctunnel.core.net.OncePerKey;
import dev.vpctunnel.proto.ErrorCode;

import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.logging.Logger;

/**
 * Fetches that fail at the origin (refused, no answer, DNS, TLS, a --deny rule), for the operator: each one at FINE,
 * and at most one WARNING a minute per origin, saying how many more failed there since, so that an origin that is down
 * shows in the log at the default level (as cloudflared's "Unable to reach the origin service") without a line per fetch.
 */
final class OriginFailures {
    private static final Logger LOG = Logger.getLogger(OriginStreamHandler.class.getName());
    /** Origins with a gate of their own, at most 1024; the others (a worker fetching many names) share one. */
    private static final OncePerKey WARNED = new OncePerKey(TimeUnit.MINUTES.toNanos(1), 1024);

    private OriginFailures() {
    }

    static void failed(OriginTarget target, FetchFailure f) {
        String code = f.code().name().toLowerCase(Locale.ROOT);
        LOG.fine(() -> "fetch " + target.requestId() + " to " + target.describe() + " failed: " + code + " " + f.getMessage());
        if (f.code() == ErrorCode.BAD_REQUEST) { // the request, not the origin
            return;
        }
        OncePer gate = WARNED.of(target.describe());
        boolean shared = WARNED.shared(gate);
        int since = gate.leftOutBeforeNow();
        if (since >= 0) {
            LOG.warning(() -> "fetches to " + target.describe() + " fail (" + code + "): " + f.getMessage()
                    + (since > 0 ? " (and " + since + " more " + (shared ? "at other origins" : "there")
                    + " since the last such line)" : "")
                    + " (each failure is logged at --log-level debug)");
        }
    }
}
