package dev.prunelab.evaluator.cli;

import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** Entry point of the evaluator's commands ({@code ./lab eval}, {@code ./lab generate}). */
@Command(name = "lab", mixinStandardHelpOptions = true, version = "prune-lab 0.1.0",
        description = "Run exported models in ONNX Runtime and measure them.",
        subcommands = {EvalCommand.class, GenerateCommand.class})
public final class EvaluatorCli {

    public static void main(String[] args) {
        System.exit(run(args));
    }

    public static int run(String... args) {
        CommandLine commandLine = new CommandLine(new EvaluatorCli());
        commandLine.setExecutionExceptionHandler(EvaluatorCli::handle);
        commandLine.setParameterExceptionHandler(EvaluatorCli::wrongArguments);
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
        if (e instanceof IllegalArgumentException || e instanceof IllegalStateException
                || e instanceof java.io.UncheckedIOException) {
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
