package dev.prunelab.events;

import dev.prunelab.vocabulary.WeightDtype;
import dev.prunelab.vocabulary.LayerSparsity;
import dev.prunelab.vocabulary.InvalidSetting;
import dev.prunelab.vocabulary.PruneMethod;
import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;

/**
 * What to prune and how, as {@code ./lab prune} takes it.
 *
 * @param method        magnitude|wanda|sparsegpt|structured
 * @param sparsity      unstructured fraction of weights zeroed, [0, 1); exclusive with {@code pattern}
 * @param pattern       N:M pattern such as "2:4", N below M; exclusive with {@code sparsity}
 * @param structured    the structured target, ratio and score; only (and required) for method structured
 * @param layerSparsity uniform (default) or owl; unstructured methods only
 * @param dtype         exported weight storage: f32 (default) or f16
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record PruneSpec(PruneMethod method, Double sparsity, String pattern, StructuredSpec structured,
                        LayerSparsity layerSparsity, WeightDtype dtype) {

    public PruneSpec {
        Check.present("method", method);
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

    /** Unstructured at sparsity 0: the model exported unpruned (any method; magnitude needs no calibration). */
    @JsonIgnore
    public boolean isDense() {
        return !method.isStructured() && sparsity != null && sparsity == 0.0;
    }

    /** A short human label: "dense", "wanda 0.5", "sparsegpt 2:4", "structured mlp+heads 0.3 flap". */
    public String label() {
        if (isDense()) {
            return "dense";
        }
        if (method.isStructured()) {
            return "structured " + structured.target().id() + " " + structured.ratio() + " " + structured.score().id();
        }
        return method.id() + " " + (sparsity != null ? sparsity.toString() : pattern);
    }
}
