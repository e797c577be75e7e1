package dev.prunelab.contracts.console;

import java.io.PrintWriter;
import java.io.UncheckedIOException;
import picocli.CommandLine;

/**
 * How every lab command reports problems: wrong arguments and user errors (bad input, missing files, invalid
 * models) as one line and exit code 2, never a stack trace; only unexpected failures print one (exit 1).
 */
public final class CommandLines {
    private CommandLines() {
    }

    /** A picocli command line with the lab's error handling. */
    public static CommandLine of(Object command) {
        CommandLine commandLine = new CommandLine(command);
        commandLine.setExecutionExceptionHandler(CommandLines::executionFailed);
        commandLine.setParameterExceptionHandler(CommandLines::wrongArguments);
        return commandLine;
    }

    static int wrongArguments(CommandLine.ParameterException e, String[] args) {
        CommandLine command = e.getCommandLine();
        command.getErr().println("error: " + e.getMessage() + " (see ./lab " + command.getCommandName() + " --help)");
        command.getErr().flush();
        return 2;
    }

    static int executionFailed(Exception e, CommandLine commandLine, CommandLine.ParseResult parseResult) {
        PrintWriter err = commandLine.getErr();
        if (e instanceof IllegalArgumentException || e instanceof IllegalStateException
                || e instanceof UncheckedIOException) {
            err.println("error: " + e.getMessage());
            err.flush();
            return 2;
        }
        err.println("error: " + e);
        e.printStackTrace(err);
        err.flush();
        return 1;
    }
}
