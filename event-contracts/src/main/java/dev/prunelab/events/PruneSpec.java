package dev.prunelab.events;

import dev.prunelab.vocabulary.WeightDtype;
import dev.prunelab.vocabulary.LayerSparsity;
import dev.prunelab.vocabulary.MaskRefinement;
import dev.prunelab.vocabulary.InvalidSetting;
import dev.prunelab.vocabulary.PruneMethod;
import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;

/**
 * What to prune and how, as {@code ./lab prune} takes it.
 *
 * @param method        magnitude|wanda|sparsegpt|ria|structured
 * @param sparsity      unstructured fraction of weights zeroed, [0, 1); exclusive with {@code pattern}
 * @param pattern       N:M pattern such as "2:4", N below M; exclusive with {@code sparsity}
 * @param structured    the structured target, ratio and score; only (and required) for method structured
 * @param layerSparsity uniform (default) or owl; unstructured methods only
 * @param dtype         exported weight storage: f32 (default) or f16
 * @param refine        dsnot refines an unstructured or N:M mask (DSnoT's prune-and-grow); absent = none
 * @param weightBits    4: the pruned linear layers exported as int4 com.microsoft.MatMulNBits; absent = float
 *                      (dtype); 32 and 16 read as absent
 * @param weightBlock   weights per int4 scale (a power of two >= 16); absent = 32; only with weightBits 4
 *
 * <p>Absent refine and weightBits are left out of the JSON, so requests without them keep their run ids.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record PruneSpec(PruneMethod method, Double sparsity, String pattern, StructuredSpec structured,
                        LayerSparsity layerSparsity, WeightDtype dtype, MaskRefinement refine, Integer weightBits,
                        Integer weightBlock) {

    /** Field names of the weight width, as requests and errors name them. */
    public static final String WEIGHT_BITS = "weightBits";
    public static final String WEIGHT_BLOCK = "weightBlock";

    /** Float weights, the method's mask as it is. */
    public PruneSpec(PruneMethod method, Double sparsity, String pattern, StructuredSpec structured,
                     LayerSparsity layerSparsity, WeightDtype dtype) {
        this(method, sparsity, pattern, structured, layerSparsity, dtype, null, null, null);
    }

    public PruneSpec {
        Check.present("method", method);
        refine = refine == MaskRefinement.NONE ? null : refine;
        if (refine != null && method.isStructured()) {
            throw new InvalidSetting(MaskRefinement.FIELD, refine.id() + " refines unstructured and N:M masks, not "
                    + "method structured");
        }
        weightBits = weightBits == null || weightBits == 32 || weightBits == 16 ? null : weightBits;
        if (weightBits != null && weightBits != 4) {
            throw new InvalidSetting(WEIGHT_BITS, "must be 4 (int4 MatMulNBits) or absent for float, was " + weightBits);
        }
        if (weightBlock != null && (weightBits == null || weightBlock < 16 || Integer.bitCount(weightBlock) != 1)) {
            throw new InvalidSetting(WEIGHT_BLOCK, weightBits == null ? "is only for weightBits 4"
                    : "must be a power of two >= 16, was " + weightBlock);
        }
        if (method.isStructured()) {
            if (sparsity != null || pattern != null) {
                throw new InvalidSetting(sparsity != null ? "sparsity" : "pattern",
                        "is not used by method structured (give structured.ratio)");
            }
            Check.present("structured", structured);
            if (layerSparsity != null && layerSparsity != LayerSparsity.UNIFORM) {
                throw new InvalidSetting("layerSparsity", layerSparsity.id() + " is for unstructured methods only");
            }
        } else {
            if (structured != null) {
                throw new InvalidSetting("structured", "is only for method structured, not " + method.id());
            }
            if ((sparsity == null) == (pattern == null)) {
                throw new InvalidSetting("sparsity", "give exactly one of sparsity or pattern for method "
                        + method.id());
            }
            if (sparsity != null) {
                Check.fraction("sparsity", sparsity);
            } else {
                pattern = NmPattern.parse("pattern", pattern).toString();
            }
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
        return new PruneSpec(method, sparsity, pattern, structured, layerSparsity, dtype, refine, bits, block);
    }

    /** The same prune with its mask refined (unstructured and N:M only). */
    public PruneSpec withRefine(MaskRefinement refinement) {
        return new PruneSpec(method, sparsity, pattern, structured, layerSparsity, dtype, refinement, weightBits,
                weightBlock);
    }

    /** {@link MaskRefinement#NONE} when absent. */
    @JsonIgnore
    public MaskRefinement refinement() {
        return refine == null ? MaskRefinement.NONE : refine;
    }

    /**
     * A short human label: "dense", "wanda 0.5", "sparsegpt 2:4", "structured mlp+heads 0.3 flap", then " dsnot"
     * for a refined mask and " w4" for int4 weights ("ria 0.5 w4", "wanda 2:4 dsnot w4", "dense w4").
     */
    public String label() {
        String width = weightBits == null ? "" : " w" + weightBits + (weightBlock == null ? "" : "b" + weightBlock);
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
                + (refine == null ? "" : " " + refine.id()) + width;
    }
}
