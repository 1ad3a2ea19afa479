package dev.vpctunnel.core.link;

import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;
import tools.jackson.databind.json.JsonMapper;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;

/** A tunnel token: base64 of JSON {"a":account,"t":tunnel_id,"s":base64 secret}, as cloudflared's. */
public record TunnelToken(String accountId, UUID tunnelId, byte[] secret) {
    private static final ObjectMapper JSON = JsonMapper.builder().build();

    public String encode() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("a", accountId);
        m.put("t", tunnelId.toString());
        m.put("s", Base64.getEncoder().encodeToString(secret));
        return Base64.getEncoder().encodeToString(JSON.writeValueAsString(m).getBytes(StandardCharsets.UTF_8));
    }

    /** Parses a token; the message of the exception says what is wrong, never the secret. */
    public static TunnelToken decode(String token) {
        if (token == null || token.isBlank()) {
            throw new IllegalArgumentException("the tunnel token is empty");
        }
        JsonNode n;
        try {
            byte[] json = Base64.getDecoder().decode(token.trim());
            n = JSON.readTree(new String(json, StandardCharsets.UTF_8));
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("the tunnel token is not valid (expected base64 of JSON, as printed by 'edge tunnel token')");
        }
        if (n == null || !n.isObject() || !n.path("a").isString() || !n.path("t").isString() || !n.path("s").isString()) {
            throw new IllegalArgumentException("the tunnel token is not valid (fields a, t and s are required)");
        }
        UUID id;
        byte[] secret;
        try {
            id = UUID.fromString(n.get("t").asString());
            secret = Base64.getDecoder().decode(n.get("s").asString());
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("the tunnel token is not valid (bad tunnel id or secret encoding)");
        }
        if (secret.length < 16) {
            throw new IllegalArgumentException("the tunnel token is not valid (secret too short)");
        }
        return new TunnelToken(n.get("a").asString(), id, secret);
    }

    @Override
    public String toString() {
        return "TunnelToken[account=" + accountId + ", tunnel=" + tunnelId + ", secret=<redacted>]";
    }
}
