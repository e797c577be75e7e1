package dev.prunelab.pruner.cli;

import dev.prunelab.pruner.model.ModelFormatException;
import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** Entry point of the pruner's commands ({@code ./lab export}, ...). */
@Command(name = "lab", mixinStandardHelpOptions = true, version = "prune-lab 0.1.0",
        description = "Load checkpoints, prune them and export them to ONNX.",
        subcommands = {ExportCommand.class, PruneCommand.class, SynthesizeCommand.class})
public final class PrunerCli {

    public static void main(String[] args) {
        System.exit(run(args));
    }

    /** Runs a command line; user errors print one line and return a non-zero exit code. */
    public static int run(String... args) {
        CommandLine commandLine = new CommandLine(new PrunerCli());
        commandLine.setExecutionExceptionHandler(PrunerCli::handle);
        commandLine.setParameterExceptionHandler(PrunerCli::wrongArguments);
        return commandLine.execute(args);
    }

    /** Wrong arguments: one line naming the problem and where help is, then exit code 2. */
    static int wrongArguments(CommandLine.ParameterException e, String[] args) {
        CommandLine command = e.getCommandLine();
        command.getErr().println("error: " + e.getMessage() + " (see ./lab " + command.getCommandName() + " --help)");
        command.getErr().flush();
        return 2;
    }

    static int handle(Exception e, CommandLine commandLine, CommandLine.ParseResult parseResult) {
        PrintWriter err = commandLine.getErr();
        if (e instanceof IllegalArgumentException || e instanceof ModelFormatException
                || e instanceof java.io.UncheckedIOException || e instanceof IllegalStateException) {
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
