package dev.prunelab.events;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.prunelab.vocabulary.PerplexityProtocol;
import java.util.List;

/**
 * Perplexity settings (docs/evaluation.md "Perplexity protocols"); absent fields take the evaluator's defaults.
 *
 * @param text       text file; absent = the shipped TinyStories validation text
 * @param protocol   paragraphs (default) or wikitext
 * @param window     tokens per window; absent = the model's context length
 * @param maxWindows cap on windows scored
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record PerplexitySpec(String text, PerplexityProtocol protocol, Integer window, Integer maxWindows) {

    public PerplexitySpec {
        protocol = protocol == null ? PerplexityProtocol.PARAGRAPHS : protocol;
        Check.positiveOrNull("window", window);
        Check.positiveOrNull("maxWindows", maxWindows);
    }
}
