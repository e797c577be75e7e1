package dev.prunelab.cli;

import dev.prunelab.console.CommandLines;
import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * {@code ./lab}'s model commands over the two engines, with no framework on the class path: export, prune and
 * synthesize (the pruning engine), eval and generate (the evaluation engine).
 */
@Command(name = "lab", mixinStandardHelpOptions = true, version = "prune-lab 0.1.0",
        description = "Load checkpoints, prune them, export them to ONNX, and measure the exported models.",
        subcommands = {ExportCommand.class, PruneCommand.class, SynthesizeCommand.class, EvalCommand.class,
            GenerateCommand.class})
public final class LabCli {

    public static void main(String[] args) {
        System.exit(run(args));
    }

    /** Runs a command line; user errors print one line and return a non-zero exit code. */
    public static int run(String... args) {
        return CommandLines.of(new LabCli()).execute(args);
    }

    /** As {@link #run(String...)}, with the one-line errors written to {@code err} (a test reads them there). */
    public static int run(PrintWriter err, String... args) {
        CommandLine commandLine = CommandLines.of(new LabCli());
        commandLine.setErr(err); // every subcommand's too
        return commandLine.execute(args);
    }
}
