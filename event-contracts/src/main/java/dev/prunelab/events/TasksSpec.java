package dev.prunelab.events;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.prunelab.vocabulary.InvalidSetting;
import dev.prunelab.vocabulary.ZeroShotTaskName;
import java.util.List;

/**
 * Zero-shot tasks (docs/evaluation.md "Zero-shot tasks").
 *
 * @param names the shipped task names, or "all"
 * @param limit first N items of each task; absent = all
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record TasksSpec(List<String> names, Integer limit) {

    /** Every task at once. */
    public static final String ALL = "all";

    public TasksSpec {
        names = Check.nonEmpty("names", names);
        for (int i = 0; i < names.size(); i++) {
            if (!ALL.equals(names.get(i))) {
                try {
                    ZeroShotTaskName.of(names.get(i));
                } catch (InvalidSetting e) {
                    throw new InvalidSetting("names[" + i + "]", e.problem().replace(")", "|" + ALL + ")"));
                }
            }
        }
        Check.positiveOrNull("limit", limit);
    }
}
