package dev.prunelab.vocabulary;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;

/** What is done to an unstructured or N:M mask after a method chose it. */
public enum MaskRefinement implements Word {
    /** The method's mask as it is. */
    NONE("none"),
    /** DSnoT (Zhang et al., ICLR 2024): training-free prune-and-grow swaps that shrink each output's error. */
    DSNOT("dsnot");

    private final String id;

    MaskRefinement(String id) {
        this.id = id;
    }

    @Override
    @JsonValue
    public String id() {
        return id;
    }

    /** The field that names it in requests. */
    public static final String FIELD = "refine";

    @JsonCreator
    public static MaskRefinement of(String id) {
        return Word.of(MaskRefinement.class, "", "mask refinement", id);
    }
}
