package dev.prunelab.events;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonInclude;
import dev.prunelab.vocabulary.InvalidSetting;
import dev.prunelab.vocabulary.LayerSparsity;
import dev.prunelab.vocabulary.MaskRefinement;
import dev.prunelab.vocabulary.NmPattern;
import dev.prunelab.vocabulary.PruneMethod;
import dev.prunelab.vocabulary.PruneRules;
import dev.prunelab.vocabulary.WeightBits;
import dev.prunelab.vocabulary.WeightDtype;
import dev.prunelab.vocabulary.WeightQuantizer;

/**
 * What to prune and how, as {@code ./lab prune} takes it.
 *
 * @param method        magnitude|wanda|sparsegpt|ria|structured
 * @param sparsity      unstructured fraction of weights zeroed, [0, 1); exclusive with {@code pattern}
 * @param pattern       N:M pattern such as "2:4", N below M; exclusive with {@code sparsity}
 * @param structured    the structured target, ratio and score; only (and required) for method structured
 * @param layerSparsity uniform (default) or owl; unstructured methods only
 * @param dtype         exported weight storage: f32 (default) or f16
 * @param refine        dsnot refines an unstructured or N:M mask (DSnoT's prune-and-grow); absent = none (and so
 *                      at sparsity 0, where there is no mask to refine)
 * @param weightBits    4: the pruned linear layers exported as int4 com.microsoft.MatMulNBits; absent = float
 *                      (dtype); 32 and 16 read as absent ({@link WeightBits})
 * @param weightBlock   weights per int4 scale (a power of two >= 16); absent = 32; only with weightBits 4
 * @param weightQuantizer rtn-symmetric (absent), rtn-asymmetric or gptq (unstructured and N:M only); only with
 *                      weightBits 4
 * @param weightBudget  bytes the blocks' linear weights may take in the export: the blocks whose 4-bit weights cost
 *                      the most stay float while it holds them (docs/pruning.md); only with weightBits 4, unstructured
 *                      and N:M only
 *
 * <p>The combinations a method refuses are {@link PruneRules}'. Absent refine, weightBits, weightQuantizer and
 * weightBudget are left out of the JSON, so requests without them keep their run ids.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record PruneSpec(PruneMethod method, Double sparsity, String pattern, StructuredSpec structured,
                        LayerSparsity layerSparsity, WeightDtype dtype, MaskRefinement refine, Integer weightBits,
                        Integer weightBlock, WeightQuantizer weightQuantizer, Long weightBudget) {

    /** The default quantizer, no budget. */
    public PruneSpec(PruneMethod method, Double sparsity, String pattern, StructuredSpec structured,
                     LayerSparsity layerSparsity, WeightDtype dtype, MaskRefinement refine, Integer weightBits,
                     Integer weightBlock) {
        this(method, sparsity, pattern, structured, layerSparsity, dtype, refine, weightBits, weightBlock, null, null);
    }

    /** Float weights, the method's mask as it is. */
    public PruneSpec(PruneMethod method, Double sparsity, String pattern, StructuredSpec structured,
                     LayerSparsity layerSparsity, WeightDtype dtype) {
        this(method, sparsity, pattern, structured, layerSparsity, dtype, null, null, null);
    }

    public PruneSpec {
        Check.present(PruneMethod.FIELD, method);
        InvalidSetting refusal = PruneRules.optionsRefusal(method, sparsity != null, pattern != null,
                structured != null, layerSparsity, refine);
        if (refusal != null) {
            throw refusal;
        }
        refine = refine == MaskRefinement.NONE || (sparsity != null && sparsity == 0.0) ? null : refine;
        weightBits = WeightBits.read(WeightBits.FIELD, weightBits);
        weightBlock = WeightBits.block(weightBits, weightBlock);
        if (weightQuantizer != null) {
            WeightQuantizer.check(weightBits, weightQuantizer);
            if (weightQuantizer == WeightQuantizer.GPTQ && method.isStructured()) {
                throw new InvalidSetting(WeightQuantizer.FIELD, "gptq is for unstructured and N:M prunes");
            }
            // the default named is the default absent: the same run id
            weightQuantizer = weightQuantizer == WeightQuantizer.DEFAULT ? null : weightQuantizer;
        }
        if (weightBudget != null && (weightBits == null || method.isStructured() || weightBudget <= 0)) {
            throw new InvalidSetting("weightBudget", weightBudget <= 0 ? "must be positive, was " + weightBudget
                    : "chooses which blocks of an unstructured or N:M prune keep float weights among 4-bit ones; it "
                            + "needs weightBits 4");
        }
        if (sparsity != null) {
            PruneRules.fraction(PruneRules.SPARSITY, sparsity);
        } else if (pattern != null) {
            pattern = NmPattern.parse(NmPattern.FIELD, pattern).toString();
        }
        layerSparsity = layerSparsity == null ? LayerSparsity.UNIFORM : layerSparsity;
        dtype = dtype == null ? WeightDtype.FLOAT32 : dtype;
    }

    public static PruneSpec unstructured(PruneMethod method, double sparsity) {
        return new PruneSpec(method, sparsity, null, null, null, null);
    }

    public static PruneSpec nm(PruneMethod method, String pattern) {
        return new PruneSpec(method, null, pattern, null, null, null);
    }

    public static PruneSpec structured(StructuredSpec structured) {
        return new PruneSpec(PruneMethod.STRUCTURED, null, null, structured, null, null);
    }

    /**
     * Unstructured at sparsity 0 with float weights: the model exported unpruned (any method; magnitude needs no
     * calibration), the reference every ratio is taken against.
     */
    @JsonIgnore
    public boolean isDense() {
        return !method.isStructured() && sparsity != null && sparsity == 0.0 && weightBits == null && refine == null;
    }

    /** The same prune with its linear layers exported as int4 (block {@code weightBlock}, null = 32). */
    public PruneSpec withWeightBits(Integer bits, Integer block) {
        return new PruneSpec(method, sparsity, pattern, structured, layerSparsity, dtype, refine, bits, block,
                bits == null ? null : weightQuantizer, bits == null ? null : weightBudget);
    }

    /** The same prune with its mask refined (unstructured and N:M only). */
    public PruneSpec withRefine(MaskRefinement refinement) {
        return new PruneSpec(method, sparsity, pattern, structured, layerSparsity, dtype, refinement, weightBits,
                weightBlock, weightQuantizer, weightBudget);
    }

    /** {@link MaskRefinement#NONE} when absent. */
    @JsonIgnore
    public MaskRefinement refinement() {
        return refine == null ? MaskRefinement.NONE : refine;
    }

    /**
     * A short human label: "dense", "wanda 0.5", "sparsegpt 2:4", "structured mlp+heads 0.3 flap", then the layer
     * allocation when it is not uniform (" owl", " search"), " dsnot" for a refined mask and " w4" for int4 weights
     * ("ria 0.5 w4", "wanda 0.7 owl", "wanda 2:4 dsnot w4", "dense w4").
     */
    public String label() {
        String width = weightBits == null ? "" : " w" + weightBits + (weightBlock == null ? "" : "b" + weightBlock)
                + (weightQuantizer == null ? "" : " " + weightQuantizer.id())
                + (weightBudget == null ? "" : " budget " + weightBudget + " B");
        if (isDense()) {
            return "dense";
        }
        if (method.isStructured()) {
            return "structured " + structured.target().id() + " " + structured.ratio() + " " + structured.score().id()
                    + width;
        }
        if (sparsity != null && sparsity == 0.0 && refine == null) {
            return "dense" + width;
        }
        return method.id() + " " + (sparsity != null ? sparsity.toString() : pattern)
                + (layerSparsity == LayerSparsity.UNIFORM ? "" : " " + layerSparsity.id())
                + (refine == null ? "" : " " + refine.id()) + width;
    }
}
