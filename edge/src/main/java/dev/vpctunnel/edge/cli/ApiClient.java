package dev.vpctunnel.edge.cli;

import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;
import tools.jackson.databind.json.JsonMapper;

import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/**
 * A small client of the admin REST API for the CLI. The account is the token's, found once through
 * GET /client/v4/user/tokens/verify (or given with --account).
 */
public final class ApiClient {
    static final ObjectMapper JSON = JsonMapper.builder().build();

    /** An API error: the HTTP status and the envelope's first error message. */
    public static final class ApiClientException extends RuntimeException {
        private final int status;

        ApiClientException(int status, String message) {
            super(message);
            this.status = status;
        }

        public int status() {
            return status;
        }
    }

    private final String base;
    private final String token;
    private final HttpClient http;
    private String account;

    public ApiClient(String baseUrl, String token, String account) {
        String b = baseUrl.endsWith("/") ? baseUrl.substring(0, baseUrl.length() - 1) : baseUrl;
        // the API's base as Cloudflare's clients write it (https://api.cloudflare.com/client/v4) names the same API
        this.base = b.endsWith("/client/v4") ? b.substring(0, b.length() - "/client/v4".length()) : b;
        this.token = token;
        this.account = account;
        this.http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).version(HttpClient.Version.HTTP_1_1)
                .build();
    }

    /** The account id: --account, else the token's (asked to the API once). */
    public String account() {
        if (account == null) {
            account = call("GET", "/client/v4/user/tokens/verify", null).path("account_id").asString();
        }
        return account;
    }

    /** s as one path segment: percent-encoded, so an id with '?' or a space cannot change the path; '/' is refused. */
    public static String seg(String s) {
        if (s.indexOf('/') >= 0) {
            // the API decodes %2F back into a path separator: 'a/b' or '/' would name another resource
            throw new IllegalArgumentException("'" + s + "' is not an id or a name (it contains '/')");
        }
        return java.net.URLEncoder.encode(s, java.nio.charset.StandardCharsets.UTF_8).replace("+", "%20");
    }

    /**
     * A tunnel's id from what the user typed: an id as it is, else the name of one of the account's tunnels (as
     * cloudflared takes a name or a UUID).
     */
    public String tunnelId(String idOrName) {
        if (idOrName.length() == 36) { // UUID.fromString alone also takes short forms, which are names here (as in the API)
            try {
                return java.util.UUID.fromString(idOrName).toString();
            } catch (IllegalArgumentException notAnId) {
                // a name of 36 characters
            }
        }
        JsonNode found = get(accountPath("/cfd_tunnel?name=" + seg(idOrName)));
        if (found.size() != 1) {
            throw new ApiClientException(0, "no tunnel has the id or name '" + idOrName + "' (see 'edge tunnel list')");
        }
        return found.path(0).path("id").asString();
    }

    /** "/client/v4/accounts/{account}" + suffix. */
    public String accountPath(String suffix) {
        return "/client/v4/accounts/" + seg(account()) + suffix; // --account as typed: the API says whether it is one
    }

    public JsonNode get(String path) {
        return call("GET", path, null);
    }

    public JsonNode post(String path, JsonNode body) {
        return call("POST", path, body);
    }

    public JsonNode put(String path, JsonNode body) {
        return call("PUT", path, body);
    }

    public JsonNode delete(String path) {
        return call("DELETE", path, null);
    }

    /** Sends the request; returns the envelope's result or throws with the API's message. */
    public JsonNode call(String method, String path, JsonNode body) {
        URI uri;
        try {
            uri = URI.create(base + path);
        } catch (IllegalArgumentException e) {
            throw new ApiClientException(0, "bad API URL '" + base + "': " + e.getMessage());
        }
        HttpRequest.Builder b = HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(60))
                .header("Authorization", "Bearer " + token)
                .header("Accept", "application/json");
        if (body != null) {
            b.header("Content-Type", "application/json")
                    .method(method, HttpRequest.BodyPublishers.ofByteArray(JSON.writeValueAsBytes(body)));
        } else {
            b.method(method, HttpRequest.BodyPublishers.noBody());
        }
        HttpResponse<byte[]> res;
        try {
            res = http.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
        } catch (ConnectException e) {
            throw new ApiClientException(0, "cannot reach the edge API at " + base + " (is 'edge serve' running?)");
        } catch (IOException e) {
            throw new ApiClientException(0, "request to the edge API at " + base + " failed: " + e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ApiClientException(0, "interrupted");
        }
        JsonNode env;
        try {
            env = JSON.readTree(res.body());
        } catch (JacksonException e) {
            throw new ApiClientException(res.statusCode(), "HTTP " + res.statusCode() + " from " + base
                    + " with a body that is not the API's JSON");
        }
        if (env == null || !env.path("success").asBoolean(false)) {
            JsonNode msg = env == null ? null : env.path("errors").path(0).path("message");
            if (msg == null || !msg.isString() || msg.stringValue().isBlank()) { // not the API's envelope
                throw new ApiClientException(res.statusCode(), "HTTP " + res.statusCode() + " from " + base
                        + " without an error message (is --api the edge's admin API?)");
            }
            throw new ApiClientException(res.statusCode(), msg.stringValue() + " (HTTP " + res.statusCode() + ")");
        }
        return env.path("result");
    }
}
