package dev.prunelab.cli;

import dev.prunelab.pruning.quantize.LinearQuantization;
import dev.prunelab.vocabulary.WeightBits;
import dev.prunelab.vocabulary.WeightQuantizer;
import picocli.CommandLine.Option;

/**
 * The int4 block options export and prune share; each command declares its own --weight-bits, whose help says what
 * that command quantizes.
 */
final class Int4Options {
    @Option(names = "--weight-block", paramLabel = "B",
            description = "weights per int4 scale along the input, a power of two >= 16 (default: "
                    + WeightBits.DEFAULT_BLOCK + ")")
    Integer weightBlock;

    @Option(names = "--weight-quantizer", paramLabel = "rtn-symmetric|rtn-asymmetric|gptq",
            description = "how int4 codes are chosen: rtn-symmetric (round to nearest, scale max|w|/7, no zero points), "
                    + "rtn-asymmetric (round to nearest on [min, max] with a zero point per block) or gptq (prune "
                    + "only: GPTQ's error feedback through the calibration Hessian on the asymmetric grids, after the "
                    + "method, mask kept); pruned zeros stay exactly zero (default: rtn-symmetric)")
    WeightQuantizer weightQuantizer;

    @Option(names = "--weight-accuracy-level", paramLabel = "0-4",
            defaultValue = "" + LinearQuantization.DEFAULT_ACCURACY_LEVEL,
            description = "MatMulNBits accuracy_level: 4 = int8 activations on the CPU provider (default: "
                    + "${DEFAULT-VALUE}); 0 = the provider's float path")
    int weightAccuracyLevel;

    /** Float weights when {@code weightBits} is null, else int4 blocks as these options say. */
    LinearQuantization quantization(Integer weightBits) {
        return LinearQuantization.of(weightBits, weightBlock, weightQuantizer).withAccuracyLevel(weightAccuracyLevel);
    }
}
