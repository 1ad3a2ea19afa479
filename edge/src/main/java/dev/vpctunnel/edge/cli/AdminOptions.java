package dev.vpctunnel.edge.cli;

import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import tools.jackson.databind.JsonNode;

import java.io.PrintWriter;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.concurrent.Callable;

/** Options every admin subcommand shares: where the API is, the token and the account. */
public final class AdminOptions {
    public static final String TOKEN_ENV = "EDGE_API_TOKEN";

    @Spec(Spec.Target.MIXEE)
    CommandSpec mixee;

    @Option(names = "--api", paramLabel = "URL", defaultValue = "${env:EDGE_API_URL:-http://127.0.0.1:8080}",
            description = "Admin API of the edge (default: $EDGE_API_URL, else http://127.0.0.1:8080).")
    String api;

    @Option(names = "--token", paramLabel = "TOKEN",
            description = "API token; prefer the environment variable " + TOKEN_ENV + " (not visible in ps).")
    String token;

    @Option(names = "--account", paramLabel = "ID", description = "Account id (default: the token's account).")
    String account;

    private ApiClient client;

    PrintWriter out() {
        return mixee.commandLine().getOut();
    }

    PrintWriter err() {
        return mixee.commandLine().getErr();
    }

    ApiClient client() {
        if (client == null) {
            checkApiUrl(api);
            String t = token != null ? token : System.getenv(TOKEN_ENV);
            if (t == null || t.isBlank()) {
                throw new ApiClient.ApiClientException(0, "an API token is required: set " + TOKEN_ENV
                        + " or pass --token (printed by 'edge init')");
            }
            client = new ApiClient(api, t.trim(), account);
        }
        return client;
    }

    /** --api must be an http(s) URL with a host: anything else is bad input (exit 2), whatever is wrong with it. */
    static void checkApiUrl(String api) {
        URI u = null;
        try {
            u = new URI(api);
        } catch (URISyntaxException e) {
            // below
        }
        if (u == null || u.getScheme() == null || u.getHost() == null
                || !(u.getScheme().equalsIgnoreCase("http") || u.getScheme().equalsIgnoreCase("https"))) {
            throw new IllegalArgumentException("--api '" + api + "': expected the edge admin API's http:// or https://"
                    + " URL, e.g. http://127.0.0.1:8080");
        }
    }

    /** Pretty JSON on stdout. */
    void print(JsonNode n) {
        out().println(ApiClient.JSON.writerWithDefaultPrettyPrinter().writeValueAsString(n));
        out().flush();
    }

    /** Runs an action; API errors go to stderr with exit code 1, bad input given to the CLI with 2. */
    int run(Callable<Integer> action) {
        try {
            return action.call();
        } catch (ApiClient.ApiClientException e) {
            err().println("edge: " + e.getMessage());
            err().flush();
            return 1;
        } catch (IllegalArgumentException e) {
            err().println("edge: " + e.getMessage());
            err().flush();
            return 2;
        } catch (Exception e) {
            err().println("edge: " + e);
            err().flush();
            return 1;
        }
    }
}
