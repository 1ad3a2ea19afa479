package dev.vpctunnel.edge.cli;

import dev.vpctunnel.edge.config.WranglerConfig;
import dev.vpctunnel.edge.config.WranglerConfigException;
import dev.vpctunnel.edge.directory.Names;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * edge deploy --config wrangler.jsonc|wrangler.toml: registers the worker's vpc_services and vpc_networks bindings
 * (PUT /workers/scripts/{name}) and prints its gateway token once.
 */
@Command(name = "deploy", mixinStandardHelpOptions = true,
        description = "Register a worker's VPC bindings from its wrangler.jsonc or wrangler.toml; prints its gateway token.")
public final class DeployCommand implements Callable<Integer> {
    @Mixin
    AdminOptions admin;

    @Option(names = {"-c", "--config"}, paramLabel = "FILE",
            description = "wrangler.jsonc, wrangler.json or wrangler.toml (default: the one in the current folder, as wrangler looks).")
    Path config;

    @Option(names = "--name", paramLabel = "NAME", description = "Worker name (default: 'name' in the file).")
    String name;

    @Option(names = "--json", description = "Print the result (with gateway_token) as JSON.")
    boolean json;

    @Override
    public Integer call() {
        WranglerConfig cfg;
        String worker;
        try {
            config = WranglerConfig.find(config);
            cfg = WranglerConfig.read(config);
            worker = name != null ? name : cfg.requireName();
            if (!Names.isWorkerName(worker)) {
                throw new WranglerConfigException("--name: '" + worker + "' is not a valid worker name");
            }
        } catch (WranglerConfigException e) {
            admin.err().println("edge deploy: " + e.getMessage());
            admin.err().flush();
            return 2;
        }
        if (cfg.main() != null && !java.nio.file.Files.exists(cfg.main())) {
            admin.err().println("edge deploy: note: main " + cfg.main() + " does not exist (only the bindings are registered)");
            admin.err().flush();
        }
        return admin.run(() -> {
            ApiClient c = admin.client();
            JsonNode res;
            try {
                res = c.put(c.accountPath("/workers/scripts/" + ApiClient.seg(worker)), body(cfg));
            } catch (ApiClient.ApiClientException e) {
                throw new ApiClient.ApiClientException(e.status(), config + ": " + explain(e.getMessage(), cfg));
            }
            if (json) {
                admin.print(res);
            } else {
                admin.out().println("Deployed worker " + worker + " with " + cfg.bindings().size() + " binding(s):");
                for (WranglerConfig.Binding b : cfg.bindings()) {
                    admin.out().println("  env." + b.binding() + "  " + describe(b));
                }
                admin.out().println("gateway token (shown once): " + res.path("gateway_token").asString());
                admin.out().flush();
            }
            return 0;
        });
    }

    static ObjectNode body(WranglerConfig cfg) {
        ObjectNode body = ApiClient.JSON.createObjectNode();
        ArrayNode arr = body.putArray("bindings");
        for (WranglerConfig.Binding b : cfg.bindings()) {
            ObjectNode o = arr.addObject();
            if (b instanceof WranglerConfig.VpcService s) {
                o.put("type", "vpc_service").put("name", s.binding()).put("service_id", s.serviceId().toString());
            } else if (b instanceof WranglerConfig.VpcNetwork n) {
                o.put("type", "vpc_network").put("name", n.binding());
                if (n.tunnelId() != null) {
                    o.put("tunnel_id", n.tunnelId().toString());
                } else {
                    o.put("network_id", n.networkId());
                }
            }
        }
        return body;
    }

    private static String describe(WranglerConfig.Binding b) {
        if (b instanceof WranglerConfig.VpcService s) {
            return "vpc_service " + s.serviceId();
        }
        WranglerConfig.VpcNetwork n = (WranglerConfig.VpcNetwork) b;
        return "vpc_network " + (n.tunnelId() != null ? "tunnel " + n.tunnelId() : n.networkId());
    }

    /**
     * Maps the API's "bindings[i].field: reason" to the file's "vpc_services[k] (binding NAME): field: reason", the
     * form the file's own checks use.
     */
    static String explain(String message, WranglerConfig cfg) {
        List<WranglerConfig.Binding> all = cfg.bindings();
        for (int i = all.size() - 1; i >= 0; i--) {
            String prefix = "bindings[" + i + "]";
            if (message.startsWith(prefix)) {
                WranglerConfig.Binding b = all.get(i);
                boolean service = b instanceof WranglerConfig.VpcService;
                long before = all.subList(0, i).stream().filter(x -> x instanceof WranglerConfig.VpcService == service).count();
                String rest = message.substring(prefix.length());
                return (service ? "vpc_services[" : "vpc_networks[") + before + "] (binding " + b.binding() + ")"
                        + (rest.startsWith(".") ? ": " + rest.substring(1) : rest);
            }
        }
        return message;
    }
}
