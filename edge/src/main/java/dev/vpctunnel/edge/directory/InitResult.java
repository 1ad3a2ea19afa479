package dev.vpctunnel.edge.directory;

/** What 'edge init' made: the account and its all-roles API token (null when the store was already initialised). */
public record InitResult(String accountId, String apiToken) {
    public boolean created() {
        return apiToken != null;
    }

    @Override
    public String toString() {
        return "InitResult[account=" + accountId + ", created=" + created() + "]";
    }
}
