package dev.prunelab.events;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;

/**
 * Zero-shot tasks (README "Zero-shot tasks").
 *
 * @param names the shipped task names, or "all"
 * @param limit first N items of each task; absent = all
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonIgnoreProperties(ignoreUnknown = true)
public record TasksSpec(List<String> names, Integer limit) {

    public static final List<String> KNOWN = List.of("lambada_openai", "hellaswag", "piqa", "arc_easy",
            "arc_challenge", "boolq", "winogrande", "openbook_qa", "copa", "all");

    public TasksSpec {
        names = Check.nonEmpty("names", names);
        for (int i = 0; i < names.size(); i++) {
            Check.oneOf("names[" + i + "]", names.get(i), null, KNOWN);
        }
        Check.positiveOrNull("limit", limit);
    }
}
