package dev.prunelab.cli;

import dev.prunelab.evaluation.runtime.RuntimeOptions;
import dev.prunelab.measure.GpuDevice;
import dev.prunelab.vocabulary.ExecutionProvider;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** Options every evaluator command shares: which model and how to run it. */
final class ModelOptions {
    @Option(names = "--model", required = true, paramLabel = "DIR",
            description = "exported model directory (from ./lab export or ./lab prune)")
    Path model;

    @Option(names = "--provider", defaultValue = "cpu", paramLabel = "cpu|cuda|auto",
            description = "execution provider (default: ${DEFAULT-VALUE}); auto prefers CUDA and falls back to CPU")
    ExecutionProvider provider;

    @Option(names = "--device", defaultValue = "0", paramLabel = "N",
            description = "CUDA device ordinal for cuda and auto (default: ${DEFAULT-VALUE}): entry N of "
                    + "CUDA_VISIBLE_DEVICES when set; the energy stage meters the same GPU, found in NVML by UUID "
                    + "(docs/energy.md \"The GPU\")")
    int device;

    @Option(names = "--threads", defaultValue = "0", paramLabel = "N",
            description = "ONNX Runtime intra-op threads (default: 0 = one per core idle when the session "
                    + "opens; docs/commands.md \"Threads\")")
    int threads;

    @Option(names = "--spin",
            description = "let ONNX Runtime's pool threads spin between operators instead of sleeping: faster with 2+ "
                    + "threads on an idle machine, slower when other work needs the cores, and the spinning counts "
                    + "as CPU time in energy estimates (default: off)")
    boolean spin;

    RuntimeOptions runtimeOptions() {
        return new RuntimeOptions(provider, threads, spin).onCudaDevice(gpu().cudaOrdinal());
    }

    /** The GPU chosen once, for the session and the meter, under this process's CUDA_VISIBLE_DEVICES. */
    GpuDevice gpu() {
        if (device < 0) {
            throw new IllegalArgumentException("--device must be 0 or more, was " + device);
        }
        return GpuDevice.of(device);
    }
}
