package dev.vpctunnel.edge.directory;

/** A freshly created API token and its secret, which is never stored nor shown again. */
public record CreatedToken(ApiTokenRecord record, String secret) {
    @Override
    public String toString() {
        return "CreatedToken[" + record + ", secret=<redacted>]";
    }
}
