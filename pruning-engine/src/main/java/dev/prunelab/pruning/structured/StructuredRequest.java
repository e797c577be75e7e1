package dev.prunelab.pruning.structured;

import dev.prunelab.pruning.calibration.Calibration;
import dev.prunelab.pruning.quantize.LinearQuantization;
import dev.prunelab.vocabulary.InvalidSetting;
import dev.prunelab.vocabulary.WeightQuantizer;
import dev.prunelab.vocabulary.PruneRules;
import dev.prunelab.vocabulary.StructuredAllocation;
import dev.prunelab.vocabulary.StructuredRules;
import dev.prunelab.vocabulary.StructuredScore;
import dev.prunelab.vocabulary.StructuredTarget;
import dev.prunelab.vocabulary.WeightDtype;

/**
 * What to remove and how to rank it, validated before any work. The ratio is the fraction of each structure
 * removed: of every layer's MLP channels, of every layer's query heads, or of the decoder blocks.
 *
 * @param ratio            fraction in [0, 1) of the targeted units to remove
 * @param biasCompensation FLAP only: fold the removed channels' mean contribution into the output bias
 * @param calibration      where calibration windows come from; unused by magnitude scores under uniform or
 *                         global allocation
 */
public record StructuredRequest(StructuredTarget target, double ratio, StructuredScore score,
        StructuredAllocation allocation, boolean biasCompensation, Calibration calibration,
        WeightDtype dtype, int threads, LinearQuantization quantization) {

    /** Float linear layers in the export. */
    public StructuredRequest(StructuredTarget target, double ratio, StructuredScore score,
            StructuredAllocation allocation, boolean biasCompensation, Calibration calibration, WeightDtype dtype,
            int threads) {
        this(target, ratio, score, allocation, biasCompensation, calibration, dtype, threads, LinearQuantization.FLOAT);
    }

    /** @param quantization the kept (narrower) linear layers as float MatMul or int4 MatMulNBits */
    public StructuredRequest {
        quantization = quantization == null ? LinearQuantization.FLOAT : quantization;
        PruneRules.fraction("ratio", ratio);
        InvalidSetting refusal = StructuredRules.refusal(target, score, allocation, biasCompensation);
        if (refusal != null) {
            throw refusal;
        }
        if (threads < 0) {
            throw new InvalidSetting("threads", threads + " must be >= 0");
        }
        if (quantization.quantizer() == WeightQuantizer.GPTQ) {
            throw new InvalidSetting(WeightQuantizer.FIELD, "gptq runs after unstructured and N:M pruning only; "
                    + "structured results take rtn-symmetric or rtn-asymmetric");
        }
    }

    /** Only magnitude scores need no activations, unless OWL spreads the ratio by them. */
    public boolean needsCalibration() {
        return score.needsCalibration() || allocation.needsCalibration();
    }
}
