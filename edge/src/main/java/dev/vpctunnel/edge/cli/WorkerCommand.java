package dev.vpctunnel.edge.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

/** edge worker list|get|delete (use 'edge deploy' to create or update one). */
@Command(name = "worker", mixinStandardHelpOptions = true,
        description = "List, show or delete workers and their bindings ('edge deploy' registers them).")
public final class WorkerCommand {
    private static final String PATH = "/workers/scripts/";

    @Command(name = "list", mixinStandardHelpOptions = true, description = "List the account's workers and their bindings.")
    int list(@Mixin AdminOptions o) {
        return o.run(() -> {
            ApiClient c = o.client();
            o.print(c.get(c.accountPath("/workers/scripts")));
            return 0;
        });
    }

    @Command(name = "get", mixinStandardHelpOptions = true, description = "Show a worker and its bindings.")
    int get(@Mixin AdminOptions o, @Parameters(paramLabel = "NAME") String name) {
        return o.run(() -> {
            ApiClient c = o.client();
            o.print(c.get(c.accountPath(PATH + ApiClient.seg(name))));
            return 0;
        });
    }

    @Command(name = "delete", mixinStandardHelpOptions = true, description = "Delete a worker; its gateway tokens stop working.")
    int delete(@Mixin AdminOptions o, @Parameters(paramLabel = "NAME") String name) {
        return o.run(() -> {
            ApiClient c = o.client();
            c.delete(c.accountPath(PATH + ApiClient.seg(name)));
            o.out().println("Deleted worker " + name);
            o.out().flush();
            return 0;
        });
    }
}
