package dev.prunelab.cli;

import dev.prunelab.modelformat.CacheInterface;
import dev.prunelab.pruning.calibration.OverlayTensors;
import dev.prunelab.pruning.checkpoint.ModelLoader;
import dev.prunelab.pruning.checkpoint.SafetensorsFile;
import dev.prunelab.pruning.export.DecoderExporter;
import dev.prunelab.pruning.export.HuggingFaceWriteBack;
import dev.prunelab.pruning.family.ModelFamilies;
import dev.prunelab.pruning.model.InMemoryTensors;
import dev.prunelab.pruning.model.LoadedModel;
import dev.prunelab.pruning.model.TensorSource;
import dev.prunelab.pruning.quantize.LinearQuantization;
import dev.prunelab.vocabulary.InvalidSetting;
import dev.prunelab.vocabulary.WeightDtype;
import dev.prunelab.vocabulary.WeightQuantizer;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "export", mixinStandardHelpOptions = true,
        description = "Export a checkpoint (llama2.c file or Hugging Face directory) to an ONNX decoder with KV cache.")
final class ExportCommand implements Callable<Integer> {
    @Option(names = "--model", required = true, paramLabel = "PATH",
            description = "llama2.c checkpoint file, or Hugging Face directory with config.json and safetensors")
    Path model;

    @Option(names = "--tokenizer", paramLabel = "FILE",
            description = "tokenizer.bin, tokenizer.json or a folder with vocab.json + merges.txt "
                    + "(default: found next to the model)")
    Path tokenizer;

    @Option(names = "--out", paramLabel = "DIR", description = "output directory of the ONNX model")
    Path out;

    @Option(names = "--hf-out", paramLabel = "DIR",
            description = "write the model (with --pruned-weights: the pruned model) as a Hugging Face directory in "
                    + "the source's layout: tensor names, dtype, shards, config.json and tokenizer files; a llama2.c "
                    + "source becomes a Hugging Face Llama directory (float32, tokenizer.bin copied)")
    Path hfOut;

    @Option(names = "--dtype", defaultValue = "f32", paramLabel = "f32|f16",
            description = "weight storage type (default: ${DEFAULT-VALUE}); f16 halves the files, compute stays f32")
    String dtype;

    @Option(names = "--weight-bits", paramLabel = "4",
            description = "store the decoder blocks' linear layers as int4 com.microsoft.MatMulNBits (symmetric, "
                    + "block-wise scales; embeddings, norms and the head stay float) (default: float)")
    Integer weightBits;

    @Mixin
    Int4Options int4Options;

    @Option(names = "--cache", paramLabel = "in-place|growing", defaultValue = "in-place",
            description = "the graph's KV-cache interface (default: ${DEFAULT-VALUE}): in-place, a fixed-capacity cache "
                    + "updated by the graph (opset 24; what ./lab eval and the services measure), or growing, the "
                    + "standard past/present interface of other runtimes (opset 17, float weights; not evaluated here)")
    String cache;

    @Option(names = "--pruned-weights", paramLabel = "FILE",
            description = "overlay these linear weights (./lab prune --save-pruned-weights) on the checkpoint's")
    Path prunedWeights;

    @Override
    public Integer call() {
        if (out == null && hfOut == null) {
            throw new IllegalArgumentException("--out or --hf-out is required: where to write the ONNX model or the "
                    + "Hugging Face directory");
        }
        if (hfOut != null) {
            HuggingFaceWriteBack.checkTarget(model, hfOut);
        }
        WeightDtype exportDtype = WeightDtype.of(dtype);
        CacheInterface cacheInterface = CacheInterface.of(cache);
        LinearQuantization quantization = int4Options.quantization(weightBits);
        if (quantization.quantizer() == WeightQuantizer.GPTQ) {
            throw new InvalidSetting(WeightQuantizer.FIELD, "gptq needs calibration inputs: quantize with ./lab prune "
                    + "... --weight-bits 4 --weight-quantizer gptq (./lab prune --method magnitude --sparsity 0 for "
                    + "a dense model)");
        }
        try (LoadedModel loaded = ModelLoader.open(model, Optional.ofNullable(tokenizer));
             SafetensorsFile overlay = prunedWeights == null ? null : SafetensorsFile.open(prunedWeights)) {
            if (hfOut != null) {
                PruneCommand.printWriteBack(HuggingFaceWriteBack.write(loaded,
                        overlay == null ? new InMemoryTensors(Path.of("<no pruned weights>")) : overlay, hfOut));
                if (out == null) {
                    return 0;
                }
            }
            TensorSource weights = overlay == null ? loaded.tensors() : new OverlayTensors(loaded.tensors(), overlay);
            DecoderExporter.Result result = DecoderExporter.export(loaded, weights, out, exportDtype, false,
                    quantization, cacheInterface, staging -> { });
            System.out.printf("exported %s (%s, %d layers, %,d parameters, %s, %s KV cache, opset %d) to %s%n", model,
                    ModelFamilies.of(loaded.config()).id(), loaded.config().numLayers(), result.parameterCount(),
                    exportDtype.onnxName() + (quantization.quantized() ? ", linear layers int4 blocks of "
                            + quantization.blockSize() + " at accuracy level " + quantization.accuracyLevel() : ""),
                    cacheInterface.id(), cacheInterface.opset(), result.directory());
            System.out.printf("size %,d bytes%s, %.2f s%n", result.modelBytes(),
                    result.externalData() ? " (weights in model.onnx.data)" : "", result.seconds());
        }
        return 0;
    }
}
