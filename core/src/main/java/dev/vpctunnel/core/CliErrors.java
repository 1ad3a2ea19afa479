package dev.vpctunnel.core;

import picocli.CommandLine;

/**
 * Bad input on the command line ends with one clear line and exit code 2, not a stack trace; a flag picocli cannot
 * parse gets its message and where to look (not the whole usage text).
 */
public final class CliErrors implements CommandLine.IExecutionExceptionHandler, CommandLine.IParameterExceptionHandler {
    private final String program;

    public CliErrors(String program) {
        this.program = program;
    }

    /** This program's command line with both handlers. */
    public static CommandLine install(CommandLine cmd, String program) {
        CliErrors errors = new CliErrors(program);
        return cmd.setExecutionExceptionHandler(errors).setParameterExceptionHandler(errors);
    }

    @Override
    public int handleParseException(CommandLine.ParameterException e, String[] args) {
        CommandLine cmd = e.getCommandLine();
        cmd.getErr().println(program + ": " + e.getMessage());
        CommandLine.UnmatchedArgumentException.printSuggestions(e, cmd.getErr());
        cmd.getErr().println("(see '" + cmd.getCommandSpec().qualifiedName() + " --help')");
        cmd.getErr().flush();
        return cmd.getCommandSpec().exitCodeOnInvalidInput();
    }

    @Override
    public int handleExecutionException(Exception e, CommandLine cmd, CommandLine.ParseResult parsed) {
        if (e instanceof IllegalArgumentException || e instanceof java.io.IOException) {
            if (dev.vpctunnel.core.log.Logs.json()) { // the command had set up JSON logs: one JSON line too
                dev.vpctunnel.core.log.Logs.fatal(program, String.valueOf(e.getMessage()));
            } else {
                cmd.getErr().println(program + ": " + e.getMessage());
            }
            return 2;
        }
        cmd.getErr().println(program + ": unexpected error: " + e);
        e.printStackTrace(cmd.getErr());
        return 1;
    }
}
