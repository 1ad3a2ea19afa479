package dev.vpctunnel.edge.workerd;

import dev.vpctunnel.edge.config.WranglerConfig;
import tools.jackson.databind.JsonNode;

import java.nio.file.Path;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A workerd config for one worker whose VPC bindings go through this edge's worker gateway. Each binding becomes
 * <pre>
 * (name = "PRIVATE_API", wrapped = (moduleName = "vpc:binding", innerBindings = [
 *     (name = "gateway", service = "vpc-gateway-PRIVATE_API"), (name = "name", text = "PRIVATE_API")]))
 * </pre>
 * around an external service that speaks HTTP proxy style (absolute-form targets, no Host header) to the gateway and
 * injects the worker's gateway token and the binding's name:
 * <pre>
 * (name = "vpc-gateway-PRIVATE_API", external = (address = "127.0.0.1:8787", http = (style = proxy,
 *     injectRequestHeaders = [(name = "proxy-authorization", value = "Bearer gw_…"),
 *                             (name = "cf-vpc-binding", value = "PRIVATE_API")])))
 * </pre>
 * The wrapper module is an internal module of an extension (workerd only lets wrapped bindings use those).
 *
 * @param serviceName the worker's service name in workerd
 * @param gateway     host:port of the edge's gateway listener
 * @param token       the worker's gateway token (printed by edge deploy)
 * @param listen      address:port workerd serves the worker on
 */
public record WorkerdConfig(String serviceName, WorkerSource source, String gateway, String token, String listen) {
    /** The wrapper module's name inside workerd, and the file written next to config.capnp. */
    public static final String WRAPPER_MODULE = "vpc:binding";
    public static final String WRAPPER_FILE = "vpc-binding.js";
    static final String GATEWAY_SERVICE_PREFIX = "vpc-gateway-";
    private static final Pattern HOST_PORT = Pattern.compile("(\\[[0-9A-Fa-f:.]+]|[A-Za-z0-9.-]+|\\*):(\\d{1,5})");
    private static final Pattern TOKEN = Pattern.compile("[\\x21-\\x7e]+");

    public WorkerdConfig {
        Objects.requireNonNull(source, "source");
        if (serviceName == null || serviceName.isBlank()) {
            throw new IllegalArgumentException("the worker's name is required");
        }
        checkAddress("--gateway", gateway);
        checkAddress("--listen", listen);
        if (token == null || !TOKEN.matcher(token).matches()) {
            throw new IllegalArgumentException("--token: a gateway token (printed by 'edge deploy') is required");
        }
        for (WranglerConfig.Binding b : source.wrangler().bindings()) {
            if (!b.remote()) {
                // the seed: "The remote flag must be set to true to enable remote bindings during local development"
                throw new IllegalArgumentException(source.wrangler().file() + ": "
                        + (b instanceof WranglerConfig.VpcService ? "vpc_services" : "vpc_networks") + " (binding "
                        + b.binding() + "): \"remote\": true is required to run it locally: a VPC binding works in local"
                        + " development only as a remote binding (here: through the edge's gateway); add \"remote\": true");
            }
        }
        for (String var : source.vars().keySet()) {
            for (WranglerConfig.Binding x : source.wrangler().bindings()) {
                if (x.binding().equals(var)) {
                    throw new IllegalArgumentException(source.wrangler().file() + ": vars: " + var
                            + ": the name is used by a VPC binding");
                }
            }
        }
    }

    /** HOST:PORT or [IPv6]:PORT with a port in 1-65535. */
    static void checkAddress(String option, String address) {
        Matcher m = address == null ? null : HOST_PORT.matcher(address);
        if (m == null || !m.matches() || Integer.parseInt(m.group(2)) < 1 || Integer.parseInt(m.group(2)) > 65535) {
            throw new IllegalArgumentException(option + ": '" + address + "' is not HOST:PORT (e.g. 127.0.0.1:8787)");
        }
    }

    /** Never prints the token. */
    @Override
    public String toString() {
        return "WorkerdConfig[" + serviceName + ", gateway=" + gateway + ", listen=" + listen + ", token=***]";
    }

    /** The capnp text; module files are embedded by their path relative to {@code outDir}, where it is written. */
    public String render(Path outDir) {
        Path base = outDir.toAbsolutePath().normalize();
        StringBuilder b = new StringBuilder();
        b.append("# workerd config for worker ").append(serviceName).append(", written by `edge workerd-config`.\n");
        b.append("# Run: workerd serve config.capnp   (it holds the worker's gateway token: keep it private)\n");
        b.append("using Workerd = import \"/workerd/workerd.capnp\";\n\n");
        b.append("const config :Workerd.Config = (\n");
        b.append("  services = [\n");
        b.append("    (name = ").append(Capnp.text(serviceName)).append(", worker = .worker),\n");
        for (WranglerConfig.Binding x : source.wrangler().bindings()) {
            b.append("    (name = ").append(Capnp.text(GATEWAY_SERVICE_PREFIX + x.binding()))
                    .append(", external = (address = ").append(Capnp.text(gateway)).append(", http = (style = proxy,\n")
                    .append("      injectRequestHeaders = [\n")
                    .append("        (name = \"proxy-authorization\", value = ").append(Capnp.text("Bearer " + token)).append("),\n")
                    .append("        (name = \"cf-vpc-binding\", value = ").append(Capnp.text(x.binding())).append("),\n")
                    .append("      ]))),\n");
        }
        b.append("  ],\n");
        b.append("  sockets = [(name = \"http\", address = ").append(Capnp.text(listen))
                .append(", http = (), service = ").append(Capnp.text(serviceName)).append(")],\n");
        b.append("  extensions = [(modules = [\n");
        b.append("    (name = ").append(Capnp.text(WRAPPER_MODULE)).append(", esModule = embed ")
                .append(Capnp.text(WRAPPER_FILE)).append(", internal = true),\n");
        b.append("  ])],\n");
        b.append(");\n\n");
        b.append("const worker :Workerd.Worker = (\n");
        b.append("  modules = [\n");
        for (WorkerModule m : source.modules()) {
            b.append("    (name = ").append(Capnp.text(m.name())).append(", ").append(m.kind().field())
                    .append(" = embed ").append(Capnp.text(relative(base, m.file()))).append("),\n");
        }
        b.append("  ],\n");
        b.append("  compatibilityDate = ").append(Capnp.text(source.compatibilityDate())).append(",\n");
        if (!source.compatibilityFlags().isEmpty()) {
            b.append("  compatibilityFlags = [")
                    .append(String.join(", ", source.compatibilityFlags().stream().map(Capnp::text).toList()))
                    .append("],\n");
        }
        b.append("  bindings = [\n");
        for (WranglerConfig.Binding x : source.wrangler().bindings()) {
            b.append("    (name = ").append(Capnp.text(x.binding())).append(", wrapped = (moduleName = ")
                    .append(Capnp.text(WRAPPER_MODULE)).append(", innerBindings = [\n")
                    .append("      (name = \"gateway\", service = ").append(Capnp.text(GATEWAY_SERVICE_PREFIX + x.binding()))
                    .append("),\n")
                    .append("      (name = \"name\", text = ").append(Capnp.text(x.binding())).append("),\n")
                    .append("    ])),\n");
        }
        for (Map.Entry<String, JsonNode> v : source.vars().entrySet()) {
            b.append("    (name = ").append(Capnp.text(v.getKey())).append(", ");
            if (v.getValue().isString()) {
                b.append("text = ").append(Capnp.text(v.getValue().stringValue()));
            } else {
                b.append("json = ").append(Capnp.text(v.getValue().toString()));
            }
            b.append("),\n");
        }
        b.append("  ],\n");
        b.append(");\n");
        return b.toString();
    }

    private static String relative(Path base, Path file) {
        return base.relativize(file.toAbsolutePath().normalize()).toString().replace('\\', '/');
    }
}
