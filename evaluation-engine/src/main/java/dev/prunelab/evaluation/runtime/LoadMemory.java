package dev.prunelab.evaluation.runtime;

import dev.prunelab.measure.ProcessMemory;
import dev.prunelab.modelformat.DecoderIo;
import dev.prunelab.modelformat.ModelCard;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * Whether an exported model can be loaded at all in this process's memory: ONNX Runtime holds every weight byte it
 * reads (model.onnx and model.onnx.data as it reads them, expanded when stored sparse), so a model whose weights
 * alone exceed the machine's or the container's memory is refused before the session is created, with one line,
 * instead of being killed by the kernel halfway through loading. It is a lower bound: prepacked float weights, the
 * KV cache and activations come on top.
 */
public final class LoadMemory {
    private LoadMemory() {
    }

    /** Refuses the model in {@code directory} when its weights cannot fit this machine or container. */
    public static void check(Path directory, ModelCard card) {
        check(directory, card, ProcessMemory.machineBytes());
    }

    /** {@link #check(Path, ModelCard)} against {@code availableBytes}. */
    static void check(Path directory, ModelCard card, long availableBytes) {
        long weights = weightBytes(directory, card);
        if (weights + ProcessMemory.RUNTIME_BYTES > availableBytes) {
            throw new IllegalArgumentException(directory.resolve(DecoderIo.MODEL_FILE) + ": its weights need at least "
                    + gib(weights + ProcessMemory.RUNTIME_BYTES) + " in memory as ONNX Runtime loads them (" + gib(weights)
                    + " of weights and 0.25 GiB of runtime), but this machine or container has " + gib(availableBytes)
                    + "; evaluate it where there is more memory, or export it smaller (--dtype f16, --weight-bits 4)");
        }
    }

    /** model.onnx plus model.onnx.data as ONNX Runtime reads it (expanded, when stored without its zeros). */
    static long weightBytes(Path directory, ModelCard card) {
        try {
            long graph = Files.size(directory.resolve(DecoderIo.MODEL_FILE));
            Path data = directory.resolve(DecoderIo.EXTERNAL_DATA_FILE);
            long external = card.expandedWeightBytes() > 0 ? card.expandedWeightBytes()
                    : Files.isRegularFile(data) ? Files.size(data) : 0;
            return graph + external;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the size of the model in " + directory, e);
        }
    }

    private static String gib(long bytes) {
        return String.format(Locale.ROOT, "%.2f GiB", bytes / (double) (1L << 30));
    }
}
