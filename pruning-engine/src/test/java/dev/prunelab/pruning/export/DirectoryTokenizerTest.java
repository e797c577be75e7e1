package dev.prunelab.pruning.export;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.prunelab.modelformat.ModelCard;
import dev.prunelab.pruning.checkpoint.CheckpointSynthesizer;
import dev.prunelab.pruning.checkpoint.ModelLoader;
import dev.prunelab.pruning.checkpoint.SynthesisPreset;
import dev.prunelab.pruning.model.DType;
import dev.prunelab.pruning.model.LoadedModel;
import dev.prunelab.pruning.model.ModelFormatException;
import dev.prunelab.vocabulary.WeightDtype;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A Hugging Face directory's own tokenizer is used without {@code --tokenizer}, and its files, not config.json's
 * bos_token_id alone, decide the BOS every text starts with; the model card records both.
 */
class DirectoryTokenizerTest {
    @TempDir
    Path temp;

    /** tiny-llama-gqa (config.json bos_token_id 1) with a tokenizer.json whose post-processor is given. */
    private Path model(String name, String postProcessor) throws IOException {
        Path directory = temp.resolve(name);
        CheckpointSynthesizer.write(directory, SynthesisPreset.TINY_LLAMA_GQA, DType.F32, 1);
        Files.writeString(directory.resolve("tokenizer.json"), """
                {"version": "1.0", "truncation": null, "padding": null,
                 "added_tokens": [{"id": 5, "content": "<|begin_of_text|>", "single_word": false, "lstrip": false,
                                   "rstrip": false, "normalized": false, "special": true}],
                 "normalizer": null, "pre_tokenizer": {"type": "WhitespaceSplit"}, "post_processor": %s,
                 "decoder": null,
                 "model": {"type": "WordLevel", "vocab": {"<unk>": 0, "once": 1, "upon": 2, "<|begin_of_text|>": 5},
                           "unk_token": "<unk>"}}
                """.formatted(postProcessor));
        return directory;
    }

    private static final String LLAMA3_PROCESSOR = """
            {"type": "Sequence", "processors": [
              {"type": "ByteLevel", "add_prefix_space": true, "trim_offsets": false, "use_regex": true},
              {"type": "TemplateProcessing",
               "single": [{"SpecialToken": {"id": "<|begin_of_text|>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}],
               "pair": [{"Sequence": {"id": "A", "type_id": 0}}, {"Sequence": {"id": "B", "type_id": 1}}],
               "special_tokens": {"<|begin_of_text|>": {"id": "<|begin_of_text|>", "ids": [5], "tokens": ["<|begin_of_text|>"]}}}]}
            """;

    @Test
    void theDirectorysTokenizerJsonIsExportedAndItsPostProcessorChoosesTheBos() throws IOException {
        Path directory = model("llama3", LLAMA3_PROCESSOR);
        String rule = "<|begin_of_text|> (5) prepended: tokenizer.json post_processor Sequence/TemplateProcessing";
        try (LoadedModel model = ModelLoader.open(directory)) {
            assertEquals(5, model.bosTokenId());
            assertEquals(rule, model.bosRule());
            Path out = temp.resolve("exported");
            DecoderExporter.export(model, out, WeightDtype.FLOAT32);
            ModelCard card = ModelCard.read(out);
            assertEquals("tokenizer.json", card.tokenizerFile());
            assertEquals("hf-json", card.tokenizerKind());
            assertEquals(5, card.bosTokenId());
            assertEquals(rule, card.bosRule());
            assertTrue(Files.isRegularFile(out.resolve("tokenizer.json")));
        }
    }

    @Test
    void aByteLevelPostProcessorMeansNoBosWhateverConfigJsonSays() throws IOException {
        Path directory = model("qwen", "{\"type\": \"ByteLevel\", \"add_prefix_space\": false, \"trim_offsets\": false,"
                + " \"use_regex\": true}");
        try (LoadedModel model = ModelLoader.open(directory)) {
            assertEquals(-1, model.bosTokenId());
            assertEquals("no BOS: tokenizer.json post_processor ByteLevel", model.bosRule());
        }
    }

    @Test
    void withoutTokenizerFilesConfigJsonDecidesAndAGivenTokenizerIsReadInstead() throws IOException {
        Path directory = model("plain", "null");
        Files.delete(directory.resolve("tokenizer.json"));
        try (LoadedModel model = ModelLoader.open(directory)) {
            assertEquals(1, model.bosTokenId());
            assertEquals("id 1 prepended: config.json bos_token_id", model.bosRule());
        }
        Path given = model("given", LLAMA3_PROCESSOR).resolve("tokenizer.json");
        try (LoadedModel model = ModelLoader.open(directory, Optional.of(given))) {
            assertEquals(5, model.bosTokenId());
        }
    }

    @Test
    void aBosBeyondTheModelsVocabularyIsRefusedNamingTheTokenizer() throws IOException {
        Path directory = model("beyond", LLAMA3_PROCESSOR.replace("\"ids\": [5]", "\"ids\": [128000]"));
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> ModelLoader.open(directory));
        assertEquals(directory.resolve("tokenizer.json") + ": BOS token id 128000 (<|begin_of_text|>, from "
                + "tokenizer.json post_processor Sequence/TemplateProcessing) is outside the model's vocab_size 512",
                e.getMessage());
    }
}
