package dev.vpctunnel.edge.cli;

import dev.vpctunnel.core.InputFiles;
import dev.vpctunnel.edge.config.WranglerConfig;
import dev.vpctunnel.edge.config.WranglerConfigException;
import dev.vpctunnel.edge.workerd.WorkerSource;
import dev.vpctunnel.edge.workerd.WorkerdConfig;
import dev.vpctunnel.edge.workerd.WorkerdConfigWriter;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * edge workerd-config --config wrangler.jsonc --gateway HOST:PORT --token GATEWAY_TOKEN [--out DIR]: writes a workerd
 * config that runs the worker with each VPC binding wired to this edge's worker gateway.
 */
@Command(name = "workerd-config", mixinStandardHelpOptions = true,
        description = {"Write a workerd config (config.capnp + vpc-binding.js) that runs a worker in workerd with its "
                + "vpc_services / vpc_networks bindings going through this edge's worker gateway.",
                "Then: workerd serve DIR/config.capnp"})
public final class WorkerdConfigCommand implements Callable<Integer> {
    public static final String TOKEN_ENV = "EDGE_GATEWAY_TOKEN";

    @Spec
    CommandSpec spec;

    @Option(names = {"-c", "--config"}, paramLabel = "FILE",
            description = "wrangler.jsonc, wrangler.json or wrangler.toml (default: the one in the current folder, as wrangler looks).")
    Path config;

    @Option(names = "--gateway", paramLabel = "HOST:PORT", defaultValue = "127.0.0.1:8787",
            description = "The edge's worker gateway (default: ${DEFAULT-VALUE}).")
    String gateway;

    @Option(names = "--token", paramLabel = "GATEWAY_TOKEN",
            description = "The worker's gateway token printed by 'edge deploy' (or set " + TOKEN_ENV + ", or --token-file).")
    String token;

    @Option(names = "--token-file", paramLabel = "FILE", description = "Read the gateway token from FILE.")
    Path tokenFile;

    @Option(names = "--out", paramLabel = "DIR", defaultValue = "workerd",
            description = "Folder for config.capnp and vpc-binding.js (default: ${DEFAULT-VALUE}).")
    Path out;

    @Option(names = "--listen", paramLabel = "ADDR:PORT", defaultValue = "127.0.0.1:8788",
            description = "Where workerd serves the worker (default: ${DEFAULT-VALUE}; 8080 and 8787 are the edge's).")
    String listen;

    @Option(names = "--name", paramLabel = "NAME", description = "The worker's service name (default: 'name' in the file).")
    String name;

    @Override
    public Integer call() {
        PrintWriter err = spec.commandLine().getErr();
        PrintWriter out = spec.commandLine().getOut();
        try {
            WorkerSource source = WorkerSource.read(WranglerConfig.find(config));
            String service = name != null ? name : source.wrangler().name() != null ? source.wrangler().name() : "worker";
            WorkerdConfig cfg = new WorkerdConfig(service, source, gateway, token(), listen);
            List<Path> written = WorkerdConfigWriter.write(cfg, this.out);
            out.println("Wrote " + written.get(0) + " (worker " + service + ", " + source.modules().size() + " module(s), "
                    + source.wrangler().bindings().size() + " VPC binding(s) via gateway " + gateway + ")");
            for (WranglerConfig.Binding b : source.wrangler().bindings()) {
                out.println("  env." + b.binding());
            }
            out.println("Wrote " + written.get(1) + " (the bindings' wrapper module)");
            out.println("Run:  workerd serve " + written.get(0) + "    then: curl http://" + listen + "/");
            out.flush();
            return 0;
        } catch (WranglerConfigException | IllegalArgumentException e) {
            err.println("edge workerd-config: " + e.getMessage());
            err.flush();
            return 2;
        } catch (IOException e) {
            err.println("edge workerd-config: cannot write " + this.out + ": " + e.getMessage());
            err.flush();
            return 1;
        }
    }

    private String token() {
        if (token != null) {
            return token.trim();
        }
        if (tokenFile != null) {
            return InputFiles.read(tokenFile, "--token-file", InputFiles.TEXT_MAX).trim();
        }
        String env = System.getenv(TOKEN_ENV);
        if (env != null && !env.isBlank()) {
            return env.trim();
        }
        throw new IllegalArgumentException("a gateway token is required: --token, --token-file or " + TOKEN_ENV
                + " (printed by 'edge deploy')");
    }
}
