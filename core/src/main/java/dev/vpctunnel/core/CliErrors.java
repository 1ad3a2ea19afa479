package dev.vpctunnel.core;

import picocli.CommandLine;

/** Bad input on the command line ends with one clear line and exit code 2, not a stack trace. */
public final class CliErrors implements CommandLine.IExecutionExceptionHandler {
    private final String program;

    public CliErrors(String program) {
        this.program = program;
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
