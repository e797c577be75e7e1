package dev.prunelab.events;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.prunelab.vocabulary.LatencyDefaults;
import java.util.List;

/**
 * Latency settings (docs/evaluation.md "Latency"); absent fields take {@link LatencyDefaults}.
 *
 * @param promptTokens P prompt tokens prefilled
 * @param newTokens    N tokens generated
 * @param batch        batch sizes (default: one batch of {@value LatencyDefaults#BATCH})
 * @param repeats      recorded repeats
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record LatencySpec(Integer promptTokens, Integer newTokens, List<Integer> batch, Integer repeats) {

    public LatencySpec {
        promptTokens = promptTokens == null ? LatencyDefaults.PROMPT_TOKENS
                : Check.positiveOrNull("promptTokens", promptTokens);
        newTokens = newTokens == null ? LatencyDefaults.NEW_TOKENS : Check.positiveOrNull("newTokens", newTokens);
        batch = batch == null ? List.of(LatencyDefaults.BATCH) : Check.nonEmpty("batch", batch);
        for (int i = 0; i < batch.size(); i++) {
            Check.positiveOrNull("batch[" + i + "]", batch.get(i));
        }
        repeats = repeats == null ? LatencyDefaults.REPEATS : Check.positiveOrNull("repeats", repeats);
    }
}
