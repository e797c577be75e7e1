package dev.prunelab.vocabulary;

import com.fasterxml.jackson.annotation.JsonCreator;

/** The shipped zero-shot tasks, by lm-evaluation-harness's names (openbook_qa is the harness's openbookqa). */
public enum ZeroShotTaskName implements Word {
    LAMBADA_OPENAI,
    HELLASWAG,
    PIQA,
    ARC_EASY,
    ARC_CHALLENGE,
    BOOLQ,
    WINOGRANDE,
    OPENBOOK_QA,
    COPA;

    /** The field that names it in requests. */
    public static final String FIELD = "tasks.names";

    @JsonCreator
    public static ZeroShotTaskName of(String id) {
        return Word.of(ZeroShotTaskName.class, "", "task", id);
    }
}
