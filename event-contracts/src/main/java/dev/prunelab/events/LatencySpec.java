package dev.prunelab.events;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;

/**
 * Latency settings (README "Evaluation result"), defaults as {@code ./lab eval --latency}.
 *
 * @param promptTokens P prompt tokens prefilled (default 128)
 * @param newTokens    N tokens generated (default 64)
 * @param batch        batch sizes (default [1])
 * @param repeats      recorded repeats (default 5)
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record LatencySpec(Integer promptTokens, Integer newTokens, List<Integer> batch, Integer repeats) {

    public LatencySpec {
        promptTokens = promptTokens == null ? 128 : Check.positiveOrNull("promptTokens", promptTokens);
        newTokens = newTokens == null ? 64 : Check.positiveOrNull("newTokens", newTokens);
        batch = batch == null ? List.of(1) : Check.nonEmpty("batch", batch);
        for (int i = 0; i < batch.size(); i++) {
            Check.positiveOrNull("batch[" + i + "]", batch.get(i));
        }
        repeats = repeats == null ? 5 : Check.positiveOrNull("repeats", repeats);
    }
}
