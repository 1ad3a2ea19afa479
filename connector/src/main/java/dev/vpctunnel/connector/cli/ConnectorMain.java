package dev.vpctunnel.connector.cli;

import dev.vpctunnel.core.BuildInfo;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The connector command line. */
@Command(name = "connector", mixinStandardHelpOptions = true, versionProvider = ConnectorMain.Version.class,
        scope = CommandLine.ScopeType.INHERIT,
        description = "Runs inside the private network: dials out to edges and reaches private origins for them.",
        subcommands = {RunCommand.class, dev.vpctunnel.core.VersionCommand.class, CommandLine.HelpCommand.class})
public final class ConnectorMain {
    public static void main(String[] args) {
        System.exit(dev.vpctunnel.core.CliErrors.install(new CommandLine(new ConnectorMain()), "connector").execute(args));
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[] {"connector " + BuildInfo.describe()};
        }
    }
}
