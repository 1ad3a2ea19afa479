package dev.vpctunnel.connector.cli;

import dev.vpctunnel.core.BuildInfo;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The connector command line. */
@Command(name = "connector", mixinStandardHelpOptions = true, versionProvider = ConnectorMain.Version.class,
        scope = CommandLine.ScopeType.INHERIT,
        description = "Runs inside the private network: dials out to edges and reaches private origins for them.",
        subcommands = {RunCommand.class, CommandLine.HelpCommand.class})
public final class ConnectorMain {
    public static void main(String[] args) {
        System.exit(new CommandLine(new ConnectorMain()).setExecutionExceptionHandler(new dev.vpctunnel.core.CliErrors("connector")).execute(args));
    }

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    /** As cloudflared's "version" subcommand; the same line as --version. */
    @Command(name = "version", description = "Print the version.")
    int version() {
        spec.commandLine().getOut().println(new Version().getVersion()[0]);
        spec.commandLine().getOut().flush();
        return 0;
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[] {"connector " + BuildInfo.VERSION};
        }
    }
}
