package dev.prunelab.vocabulary;

import com.fasterxml.jackson.annotation.JsonCreator;

/** What is done to an unstructured or N:M mask after a method chose it. */
public enum MaskRefinement implements Word {
    /** The method's mask as it is. */
    NONE,
    /** DSnoT (Zhang et al., ICLR 2024): training-free prune-and-grow swaps that shrink each output's error. */
    DSNOT;

    /** The field that names it in requests. */
    public static final String FIELD = "refine";

    @JsonCreator
    public static MaskRefinement of(String id) {
        return Word.of(MaskRefinement.class, "", "mask refinement", id);
    }
}
