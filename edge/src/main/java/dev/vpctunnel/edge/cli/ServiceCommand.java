package dev.vpctunnel.edge.cli;

import dev.vpctunnel.core.InputFiles;
import dev.vpctunnel.edge.config.Jsonc;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;

import java.nio.file.Path;

/** edge service create|update|list|get|delete. */
@Command(name = "service", mixinStandardHelpOptions = true,
        description = "Manage VPC services (REST client of the admin API).")
public final class ServiceCommand {
    private static final String PATH = "/connectivity/directory/services";

    /** The service body: inline JSON or a file. */
    static final class Body {
        @Option(names = "--json", paramLabel = "JSON", required = true, description = "The service as JSON (the seed's schema; // and /* */ comments and trailing commas allowed).")
        String inline;

        @Option(names = "--file", paramLabel = "FILE", required = true, description = "A file holding the service JSON (as --json).")
        Path file;

        JsonNode read() {
            String text;
            String source;
            if (file != null) {
                text = InputFiles.read(file, "--file", InputFiles.TEXT_MAX);
                source = file.toString();
            } else {
                text = inline;
                source = "--json";
            }
            JsonNode service;
            try {
                // read as the API reads a body (a key given twice refused), with the comments and trailing commas of
                // the seed's examples allowed: the API gets the plain JSON
                service = Jsonc.MAPPER.readTree(text);
            } catch (JacksonException e) {
                String twice = Jsonc.duplicateKey(e);
                throw new IllegalArgumentException(source + ": " + (twice != null
                        ? twice + ": the key is given twice"
                        : "not valid JSON (" + Jsonc.reason(e) + ")"));
            }
            if (service == null || !service.isObject()) {
                throw new IllegalArgumentException(source + ": expected the service as a JSON object, e.g. {\"type\":"
                        + "\"http\",\"name\":\"api\",…}, got " + (text.isBlank() ? "nothing" : "'" + abbreviate(text) + "'"));
            }
            return service;
        }
    }

    private static String abbreviate(String text) {
        String t = text.strip();
        return t.length() > 40 ? t.substring(0, 40) + "…" : t;
    }

    @Command(name = "create", mixinStandardHelpOptions = true, description = "Create a service from --json JSON or --file FILE.")
    int create(@Mixin AdminOptions o, @ArgGroup(multiplicity = "1") Body body) {
        return o.run(() -> {
            JsonNode b = body.read(); // a bad file is refused before the API is asked anything
            ApiClient c = o.client();
            JsonNode s = c.post(c.accountPath(PATH), b);
            o.print(s);
            return 0;
        });
    }

    @Command(name = "update", mixinStandardHelpOptions = true, description = "Replace a service with --json JSON or --file FILE.")
    int update(@Mixin AdminOptions o, @Parameters(paramLabel = "SERVICE_ID") String id,
               @ArgGroup(multiplicity = "1") Body body) {
        return o.run(() -> {
            JsonNode b = body.read();
            ApiClient c = o.client();
            o.print(c.put(c.accountPath(PATH + "/" + ApiClient.seg(id)), b));
            return 0;
        });
    }

    @Command(name = "list", mixinStandardHelpOptions = true, description = "List the services of the account.")
    int list(@Mixin AdminOptions o) {
        return o.run(() -> {
            ApiClient c = o.client();
            o.print(c.get(c.accountPath(PATH)));
            return 0;
        });
    }

    @Command(name = "get", mixinStandardHelpOptions = true, description = "Show a service.")
    int get(@Mixin AdminOptions o, @Parameters(paramLabel = "SERVICE_ID") String id) {
        return o.run(() -> {
            ApiClient c = o.client();
            o.print(c.get(c.accountPath(PATH + "/" + ApiClient.seg(id))));
            return 0;
        });
    }

    @Command(name = "delete", mixinStandardHelpOptions = true, description = "Delete a service.")
    int delete(@Mixin AdminOptions o, @Parameters(paramLabel = "SERVICE_ID") String id) {
        return o.run(() -> {
            ApiClient c = o.client();
            c.delete(c.accountPath(PATH + "/" + ApiClient.seg(id)));
            o.out().println("Deleted service " + id);
            o.out().flush();
            return 0;
        });
    }
}
