package dev.prunelab.events;

import com.fasterxml.jackson.annotation.JsonInclude;

/**
 * The model a run starts from.
 *
 * @param path      a llama2.c checkpoint file or a Hugging Face directory, as a path or a {@code file:} URI, on
 *                  the filesystem the pruner sees (the pruner refuses one that does not exist)
 * @param tokenizer optional tokenizer file; absent = picked up beside the checkpoint
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record ModelRef(String path, String tokenizer) {

    public ModelRef {
        Check.text("path", path);
        if (tokenizer != null && tokenizer.isBlank()) {
            tokenizer = null;
        }
    }
}
