package dev.prunelab.vocabulary;

/**
 * What a prune may combine, in one place for the requests, the command line and the engine alike: the range of a
 * pruning fraction, and which options each method takes (an unstructured or N:M method exactly one of a sparsity
 * or a pattern, with optional OWL and mask refinement; structured its target, ratio and score only).
 */
public final class PruneRules {

    /** The fields that name a prune's amount in requests. */
    public static final String SPARSITY = "sparsity";
    public static final String STRUCTURED = "structured";

    private PruneRules() {
    }

    /** A pruning fraction (a sparsity or a structured ratio) in [0, 1): 1 would remove everything. */
    public static double fraction(String field, Double value) {
        if (value == null) {
            throw new InvalidSetting(field, "is missing");
        }
        if (!(value >= 0 && value < 1)) {
            throw new InvalidSetting(field, value + " is outside [0, 1)");
        }
        return value;
    }

    /**
     * Why {@code method} refuses these options, or null when it takes them.
     *
     * @param sparsity   a sparsity is given
     * @param pattern    an N:M pattern is given
     * @param structured the structured options (target, ratio, score) are given
     */
    public static InvalidSetting optionsRefusal(PruneMethod method, boolean sparsity, boolean pattern,
            boolean structured, LayerSparsity layerSparsity, MaskRefinement refinement) {
        if (method.isStructured()) {
            if (refinement != null && refinement != MaskRefinement.NONE) {
                return new InvalidSetting(MaskRefinement.FIELD, refinement.id()
                        + " refines unstructured and N:M masks, not method structured");
            }
            if (sparsity || pattern) {
                return new InvalidSetting(sparsity ? SPARSITY : NmPattern.FIELD,
                        "is not used by method structured (give structured.ratio)");
            }
            if (!structured) {
                return new InvalidSetting(STRUCTURED, "is missing");
            }
            if (layerSparsity != null && layerSparsity != LayerSparsity.UNIFORM) {
                return new InvalidSetting(LayerSparsity.FIELD, layerSparsity.id()
                        + " is for unstructured methods only");
            }
            return null;
        }
        if (structured) {
            return new InvalidSetting(STRUCTURED, "is only for method structured, not " + method.id());
        }
        if (sparsity == pattern) {
            return new InvalidSetting(SPARSITY, "give exactly one of sparsity or pattern for method " + method.id());
        }
        return null;
    }
}
