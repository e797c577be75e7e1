package dev.prunelab.evaluator.cli;

import dev.prunelab.contracts.console.CommandLines;
import picocli.CommandLine.Command;

/** Entry point of the evaluator's commands ({@code ./lab eval}, {@code ./lab generate}). */
@Command(name = "lab", mixinStandardHelpOptions = true, version = "prune-lab 0.1.0",
        description = "Run exported models in ONNX Runtime and measure them.",
        subcommands = {EvalCommand.class, GenerateCommand.class})
public final class EvaluatorCli {

    public static void main(String[] args) {
        System.exit(run(args));
    }

    /** Runs a command line; user errors print one line and return a non-zero exit code. */
    public static int run(String... args) {
        return CommandLines.of(new EvaluatorCli()).execute(args);
    }
}
