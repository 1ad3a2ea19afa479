package dev.vpctunnel.edge.testing;

import dev.vpctunnel.edge.api.AdminApiServer;
import dev.vpctunnel.edge.directory.Directory;
import dev.vpctunnel.edge.directory.InitResult;
import dev.vpctunnel.edge.routing.LinkInfo;
import dev.vpctunnel.edge.routing.LinkRegistry;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;
import tools.jackson.databind.json.JsonMapper;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/** A real admin API on 127.0.0.1:0 over an H2 store in a temp dir, and an HTTP client for it. */
public final class ApiFixture implements AutoCloseable {
    public static final ObjectMapper JSON = JsonMapper.builder().build();

    public final Path dir;
    public final String storeUrl;
    public final Map<UUID, List<LinkInfo>> links = new ConcurrentHashMap<>();
    public Directory directory;
    public AdminApiServer server;
    public String account;
    public String token;
    private final ExecutorService executor = Executors.newFixedThreadPool(4);
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    /** A response: status, parsed envelope and its Allow header (null when absent). */
    public record Resp(int status, JsonNode body, String allow) {
        public JsonNode result() {
            return body.path("result");
        }

        public String error() {
            return body.path("errors").path(0).path("message").asString("");
        }

        public int code() {
            return body.path("errors").path(0).path("code").asInt(0);
        }

        @Override
        public String toString() {
            return status + " " + body;
        }
    }

    public ApiFixture(Path dir) throws Exception {
        this(dir, null);
    }

    public ApiFixture(Path dir, String storeUrl) throws Exception {
        this.dir = dir;
        this.storeUrl = storeUrl;
        start();
        InitResult r = directory.initialize();
        account = r.accountId();
        token = r.apiToken();
    }

    public void start() throws Exception {
        directory = Directory.open(dir, storeUrl);
        LinkRegistry registry = id -> links.getOrDefault(id, List.of());
        server = AdminApiServer.start(new InetSocketAddress("127.0.0.1", 0), directory, registry, executor);
    }

    /** Closes the server and the store, then opens both again (an edge restart). */
    public void restart() throws Exception {
        server.close();
        directory.close();
        start();
    }

    public void restartQuietly() {
        try {
            restart();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    public String base() {
        return "http://127.0.0.1:" + server.port();
    }

    public String acct(String suffix) {
        return "/client/v4/accounts/" + account + suffix;
    }

    public Resp call(String method, String path, String bearer, String body) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base() + path)).timeout(Duration.ofSeconds(20));
        if (bearer != null) {
            b.header("Authorization", "Bearer " + bearer);
        }
        b.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        try {
            HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
            return new Resp(r.statusCode(), JSON.readTree(r.body()), r.headers().firstValue("allow").orElse(null));
        } catch (IOException e) {
            throw new IllegalStateException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    public Resp call(String method, String path, String body) {
        return call(method, path, token, body);
    }

    public Resp get(String path) {
        return call("GET", path, null);
    }

    public Resp post(String path, String body) {
        return call("POST", path, body);
    }

    /** Creates a tunnel through the API; returns its id. */
    public String tunnel(String name) {
        Resp r = post(acct("/cfd_tunnel"), "{\"name\":\"" + name + "\"}");
        if (r.status() != 200) {
            throw new IllegalStateException(r.toString());
        }
        return r.result().path("id").asString();
    }

    public String service(String name, String tunnelId) {
        Resp r = post(acct("/connectivity/directory/services"), "{\"type\":\"http\",\"name\":\"" + name
                + "\",\"host\":{\"ipv4\":\"10.0.0.1\",\"network\":{\"tunnel_id\":\"" + tunnelId + "\"}}}");
        if (r.status() != 200) {
            throw new IllegalStateException(r.toString());
        }
        return r.result().path("service_id").asString();
    }

    /** Creates an API token with the given role labels; returns the secret. */
    public String token(String... roles) {
        StringBuilder sb = new StringBuilder("{\"name\":\"t\",\"roles\":[");
        for (int i = 0; i < roles.length; i++) {
            sb.append(i == 0 ? "" : ",").append('"').append(roles[i]).append('"');
        }
        Resp r = post(acct("/tokens"), sb.append("]}").toString());
        if (r.status() != 200) {
            throw new IllegalStateException(r.toString());
        }
        return r.result().path("value").asString();
    }

    @Override
    public void close() throws Exception {
        server.close();
        directory.close();
        executor.shutdownNow();
        executor.awaitTermination(5, TimeUnit.SECONDS);
    }
}
