package dev.vpctunnel.edge.cli;

import picocli.CommandLine.Command;

import java.util.concurrent.Callable;

/** edge serve: placeholder until the link lands. */
@Command(name = "serve", description = "Run the edge: tunnel listener, admin API, worker gateway, metrics.")
public final class ServeCommand implements Callable<Integer> {
    @Override
    public Integer call() {
        return 0;
    }
}
