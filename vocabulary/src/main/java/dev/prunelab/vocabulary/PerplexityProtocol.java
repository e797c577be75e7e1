package dev.prunelab.vocabulary;

import com.fasterxml.jackson.annotation.JsonCreator;

/** How a text becomes perplexity windows (docs/evaluation.md "Perplexity protocols"). */
public enum PerplexityProtocol implements Word {
    /** Blank-line paragraphs as BOS + pieces, one stream. */
    PARAGRAPHS,
    /** WikiText-2: lines joined with "\\n\\n", tokenized once, no BOS. */
    WIKITEXT;

    @JsonCreator
    public static PerplexityProtocol of(String id) {
        return Word.of(PerplexityProtocol.class, "", "protocol", id);
    }
}
