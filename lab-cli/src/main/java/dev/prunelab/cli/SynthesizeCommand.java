package dev.prunelab.cli;

import dev.prunelab.console.ProgressBar;
import dev.prunelab.pruning.checkpoint.CheckpointSynthesizer;
import dev.prunelab.pruning.checkpoint.HuggingFaceConfig;
import dev.prunelab.pruning.checkpoint.SynthesisPreset;
import dev.prunelab.pruning.family.ModelFamilies;
import dev.prunelab.pruning.family.ModelFamily;
import dev.prunelab.pruning.model.DType;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "synthesize", mixinStandardHelpOptions = true,
        description = "Write a random-weight checkpoint in the exact Hugging Face layout of a real model's shape "
                + "(for benchmarks and tests; no hub download).")
final class SynthesizeCommand implements Callable<Integer> {
    @Option(names = "--family", required = true, paramLabel = "llama|opt|gpt2|gemma|phi3",
            description = "model family (qwen3 presets are llama)")
    String family;

    @Option(names = "--preset", required = true, paramLabel = "NAME",
            description = "opt-125m, opt-350m, opt-1.3b, gpt2, llama-1b, llama-7b, tiny-llama-gqa, tiny-opt, "
                    + "tiny-opt-post-ln, tiny-gpt2, llama-3-8b, gemma-2-2b, gemma-3-1b, tiny-gemma2, tiny-gemma3, qwen3-0.6b, "
                    + "phi-3-mini, tiny-llama3, tiny-qwen3, tiny-phi3")
    String preset;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "output directory")
    Path out;

    @Option(names = "--dtype", defaultValue = "f16", paramLabel = "f16|f32|bf16",
            description = "stored weight type (default: ${DEFAULT-VALUE})")
    String dtype;

    @Option(names = "--seed", defaultValue = "0", paramLabel = "N", description = "random seed (default: ${DEFAULT-VALUE})")
    long seed;

    @Option(names = "--layers", paramLabel = "N",
            description = "only the shape's first N decoder blocks: a slice with the model's widths, vocabulary and "
                    + "block shapes, for per-block memory and speed on a small disk (default: all)")
    Integer layers;

    @Override
    public Integer call() {
        SynthesisPreset chosen = SynthesisPreset.fromId(preset);
        ModelFamily requested = ModelFamilies.byId(family);
        ModelFamily presetFamily = ModelFamilies.of(chosen.config().config());
        if (presetFamily != requested) {
            throw new IllegalArgumentException("preset " + preset + " is a " + presetFamily.id() + " model, not "
                    + family);
        }
        DType storedType = switch (dtype.toLowerCase(Locale.ROOT)) {
            case "f16", "float16" -> DType.F16;
            case "f32", "float32" -> DType.F32;
            case "bf16", "bfloat16" -> DType.BF16;
            default -> throw new IllegalArgumentException("unknown dtype '" + dtype + "' (expected f16, f32 or bf16)");
        };
        HuggingFaceConfig config = chosen.config();
        int all = config.config().numLayers();
        if (layers != null && (layers < 1 || layers > all)) {
            throw new IllegalArgumentException("--layers " + layers + " is not between 1 and " + preset + "'s "
                    + all + " layers");
        }
        if (layers != null) {
            config = new HuggingFaceConfig(config.config().withLayers(layers), config.bosTokenId(),
                    config.eosTokenId());
        }
        long start = System.nanoTime();
        CheckpointSynthesizer.write(out, config, storedType, seed, megabytesBar());
        System.out.printf("wrote %s%s (%s, %s) to %s in %.1f s%n", preset,
                layers == null ? "" : ", its first " + layers + " of " + all + " layers", family, storedType, out,
                (System.nanoTime() - start) / 1e9);
        return 0;
    }

    /** A bar over the tensor data in megabytes, redrawn when a megabyte more is written (an 8B model: 16,060). */
    private static CheckpointSynthesizer.Progress megabytesBar() {
        return new CheckpointSynthesizer.Progress() {
            private ProgressBar bar;
            private long shownMegabytes = -1;

            @Override
            public void written(long writtenBytes, long totalBytes) {
                if (bar == null) {
                    bar = new ProgressBar("synthesize (MB)", (int) (totalBytes / 1_000_000));
                }
                long megabytes = writtenBytes / 1_000_000;
                if (megabytes != shownMegabytes) {
                    shownMegabytes = megabytes;
                    bar.update((int) megabytes);
                }
            }
        };
    }
}
