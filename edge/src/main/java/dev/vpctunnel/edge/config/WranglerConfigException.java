package dev.vpctunnel.edge.config;

/** An invalid wrangler file; the message names the file, the binding (when there is one) and the reason. */
public final class WranglerConfigException extends RuntimeException {
    public WranglerConfigException(String message) {
        super(message);
    }
}
