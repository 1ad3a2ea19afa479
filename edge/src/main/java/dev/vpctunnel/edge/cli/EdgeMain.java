package dev.vpctunnel.edge.cli;

import dev.vpctunnel.core.BuildInfo;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The edge command line: subcommands only. */
// scope INHERIT: every subcommand's --version prints the version too (it printed nothing)
@Command(name = "edge", mixinStandardHelpOptions = true, versionProvider = EdgeMain.Version.class,
        scope = CommandLine.ScopeType.INHERIT,
        description = "The public side of the VPC tunnel: connector links, directory API and worker gateway.",
        subcommands = {InitCommand.class, ServeCommand.class, TunnelCommand.class, ServiceCommand.class,
                RouteCommand.class, TokenCommand.class, WorkerCommand.class, DeployCommand.class,
                WorkerdConfigCommand.class, dev.vpctunnel.core.VersionCommand.class, CommandLine.HelpCommand.class})
public final class EdgeMain {
    public static void main(String[] args) {
        System.exit(dev.vpctunnel.core.CliErrors.install(new CommandLine(new EdgeMain()), "edge").execute(args));
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[] {"edge " + BuildInfo.describe()};
        }
    }
}
