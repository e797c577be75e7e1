package dev.prunelab.pruner.cli;

import dev.prunelab.contracts.console.CommandLines;
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
        return CommandLines.of(new PrunerCli()).execute(args);
    }
}
