package dev.prunelab.vocabulary;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;

/** The shipped zero-shot tasks, by lm-evaluation-harness's names (openbook_qa is the harness's openbookqa). */
public enum ZeroShotTaskName implements Word {
    LAMBADA_OPENAI("lambada_openai"),
    HELLASWAG("hellaswag"),
    PIQA("piqa"),
    ARC_EASY("arc_easy"),
    ARC_CHALLENGE("arc_challenge"),
    BOOLQ("boolq"),
    WINOGRANDE("winogrande"),
    OPENBOOK_QA("openbook_qa"),
    COPA("copa");

    private final String id;

    ZeroShotTaskName(String id) {
        this.id = id;
    }

    @Override
    @JsonValue
    public String id() {
        return id;
    }

    /** The field that names it in requests. */
    public static final String FIELD = "tasks.names";

    @JsonCreator
    public static ZeroShotTaskName of(String id) {
        return Word.of(ZeroShotTaskName.class, "", "task", id);
    }
}
