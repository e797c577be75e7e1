package dev.prunelab.text.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Each family's BOS convention, read from tokenizer files shaped like the published ones (tiny vocabularies). Where
 * tokenizer.json decides, the Rust tokenizers library itself (through DJL, encoding with special tokens) is the
 * oracle: the rule must name the very token its post-processor prepends, or none when it prepends none.
 */
class BosRuleTest {
    @TempDir
    Path dir;

    private static final String TEXT = "the cat sat";

    /** A WordLevel tokenizer.json with {@code special} tokens (id -> text) added and the given post-processor. */
    private static String wordLevel(Map<Integer, String> special, String postProcessor) {
        StringBuilder added = new StringBuilder();
        StringBuilder vocab = new StringBuilder("\"[UNK]\": 0, \"the\": 4, \"cat\": 5, \"sat\": 6");
        special.entrySet().stream().sorted(Map.Entry.comparingByKey()).forEach(e -> {
            if (added.length() > 0) {
                added.append(", ");
            }
            added.append("{\"id\": ").append(e.getKey()).append(", \"content\": \"").append(e.getValue())
                    .append("\", \"single_word\": false, \"lstrip\": false, \"rstrip\": false, \"normalized\": false,"
                            + " \"special\": true}");
            vocab.append(", \"").append(e.getValue()).append("\": ").append(e.getKey());
        });
        return """
                {"version": "1.0", "truncation": null, "padding": null,
                 "added_tokens": [%s],
                 "normalizer": null, "pre_tokenizer": {"type": "WhitespaceSplit"},
                 "post_processor": %s,
                 "decoder": null,
                 "model": {"type": "WordLevel", "vocab": {%s}, "unk_token": "[UNK]"}}
                """.formatted(added, postProcessor, vocab);
    }

    /** TemplateProcessing "TOKEN $A" as transformers writes it for Llama 2 and Gemma. */
    private static String template(String token, int id) {
        return """
                {"type": "TemplateProcessing",
                 "single": [{"SpecialToken": {"id": "%1$s", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}],
                 "pair": [{"SpecialToken": {"id": "%1$s", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}},
                          {"SpecialToken": {"id": "%1$s", "type_id": 1}}, {"Sequence": {"id": "B", "type_id": 1}}],
                 "special_tokens": {"%1$s": {"id": "%1$s", "ids": [%2$d], "tokens": ["%1$s"]}}}
                """.formatted(token, id);
    }

    private static final String BYTE_LEVEL_PROCESSOR =
            "{\"type\": \"ByteLevel\", \"add_prefix_space\": false, \"trim_offsets\": false, \"use_regex\": true}";

    private Path write(String name, String json) throws IOException {
        return Files.writeString(dir.resolve(name), json);
    }

    /** The ids the Rust library gives with and without the post-processor's special tokens. */
    private static long[][] encodeBothWays(Path tokenizerJson) throws IOException {
        try (HuggingFaceTokenizer tokenizer = HuggingFaceTokenizer.newInstance(tokenizerJson,
                Map.of("truncation", "false", "padding", "false"))) {
            return new long[][] {tokenizer.encode(TEXT, true, false).getIds(),
                tokenizer.encode(TEXT, false, false).getIds()};
        }
    }

    /** The rule agrees with what the library's post-processor does. */
    private static void assertLibraryAgrees(BosRule rule, Path tokenizerJson) throws IOException {
        long[][] ids = encodeBothWays(tokenizerJson);
        if (rule.prepends()) {
            assertEquals(ids[1].length + 1, ids[0].length, Arrays.toString(ids[0]));
            assertEquals(rule.tokenId(), ids[0][0]);
            assertArrayEquals(ids[1], Arrays.copyOfRange(ids[0], 1, ids[0].length));
        } else {
            assertArrayEquals(ids[1], ids[0], "the post-processor adds nothing");
        }
    }

    @Test
    void llama2PrependsSFromTokenizerConfigAndItsTemplateAgrees() throws IOException {
        Path json = write("tokenizer.json", wordLevel(Map.of(1, "<s>", 2, "</s>"), template("<s>", 1)));
        // the older spelling of a special token: an AddedToken object
        write("tokenizer_config.json", """
                {"add_bos_token": true, "add_eos_token": false,
                 "bos_token": {"__type": "AddedToken", "content": "<s>", "lstrip": false, "normalized": false,
                               "rstrip": false, "single_word": false},
                 "eos_token": "</s>", "tokenizer_class": "LlamaTokenizer"}
                """);
        BosRule rule = BosRule.fromTokenizerFiles(dir).orElseThrow();
        assertEquals(new BosRule(1, "<s>", "tokenizer_config.json add_bos_token"), rule);
        assertEquals("<s> (1) prepended: tokenizer_config.json add_bos_token", rule.describe());
        assertLibraryAgrees(rule, json);
        assertEquals(Optional.of(rule), BosRule.fromTokenizerFiles(json), "the file or its directory");
    }

    @Test
    void llama3PrependsBeginOfTextFromTheSequencePostProcessor() throws IOException {
        String sequence = "{\"type\": \"Sequence\", \"processors\": [" + BYTE_LEVEL_PROCESSOR + ", "
                + template("<|begin_of_text|>", 8) + "]}";
        Path json = write("tokenizer.json", wordLevel(Map.of(8, "<|begin_of_text|>", 9, "<|end_of_text|>"),
                sequence));
        // Llama 3's tokenizer_config.json names the token but has no add_bos_token: tokenizer.json decides
        write("tokenizer_config.json", """
                {"bos_token": "<|begin_of_text|>", "eos_token": "<|end_of_text|>",
                 "tokenizer_class": "PreTrainedTokenizerFast"}
                """);
        BosRule rule = BosRule.fromTokenizerFiles(dir).orElseThrow();
        assertEquals(new BosRule(8, "<|begin_of_text|>", "tokenizer.json post_processor Sequence/TemplateProcessing"),
                rule);
        assertLibraryAgrees(rule, json);
    }

    @Test
    void qwenPrependsNothing() throws IOException {
        Path json = write("tokenizer.json", wordLevel(Map.of(7, "<|endoftext|>"), BYTE_LEVEL_PROCESSOR));
        write("tokenizer_config.json", """
                {"bos_token": null, "eos_token": "<|endoftext|>", "tokenizer_class": "Qwen2Tokenizer"}
                """);
        BosRule rule = BosRule.fromTokenizerFiles(dir).orElseThrow();
        assertFalse(rule.prepends());
        assertEquals("no BOS: tokenizer.json post_processor ByteLevel", rule.describe());
        assertLibraryAgrees(rule, json);
    }

    @Test
    void gemmaPrependsBos() throws IOException {
        Path json = write("tokenizer.json", wordLevel(Map.of(1, "<eos>", 2, "<bos>"), template("<bos>", 2)));
        write("tokenizer_config.json", """
                {"add_bos_token": true, "add_eos_token": false, "bos_token": "<bos>", "eos_token": "<eos>",
                 "added_tokens_decoder": {"1": {"content": "<eos>", "special": true},
                                          "2": {"content": "<bos>", "special": true}},
                 "tokenizer_class": "GemmaTokenizer"}
                """);
        BosRule rule = BosRule.fromTokenizerFiles(dir).orElseThrow();
        assertEquals(new BosRule(2, "<bos>", "tokenizer_config.json add_bos_token"), rule);
        assertLibraryAgrees(rule, json);
    }

    /** add_bos_token false wins over a template that would add &lt;s&gt;, as transformers rebuilds the processor. */
    @Test
    void addBosTokenFalseOverridesTheTemplate() throws IOException {
        write("tokenizer.json", wordLevel(Map.of(1, "<s>", 2, "</s>"), template("<s>", 1)));
        write("tokenizer_config.json", """
                {"add_bos_token": false, "add_eos_token": false, "bos_token": "<s>", "eos_token": "<|endoftext|>",
                 "tokenizer_class": "LlamaTokenizer"}
                """);
        assertEquals(BosRule.none("tokenizer_config.json add_bos_token false"),
                BosRule.fromTokenizerFiles(dir).orElseThrow());
    }

    /** OPT: GPT-2's BPE files with add_bos_token true and &lt;/s&gt; as its BOS, found in vocab.json. */
    @Test
    void optPrependsEndOfSentenceFoundInVocabJson() throws IOException {
        write("vocab.json", "{\"<s>\": 0, \"<pad>\": 1, \"</s>\": 2, \"<unk>\": 3, \"the\": 4}");
        write("merges.txt", "#version: 0.2\nt h\nth e\n");
        write("tokenizer_config.json", """
                {"add_bos_token": true, "bos_token": {"__type": "AddedToken", "content": "</s>"},
                 "eos_token": {"__type": "AddedToken", "content": "</s>"}, "pad_token": "<pad>"}
                """);
        assertEquals(new BosRule(2, "</s>", "tokenizer_config.json add_bos_token"),
                BosRule.fromTokenizerFiles(dir).orElseThrow());
    }

    /** GPT-2: its tokenizer.json prepends nothing; its BPE files alone say nothing (config.json decides). */
    @Test
    void gpt2TokenizerJsonPrependsNothingAndBareBpeFilesDoNotSay() throws IOException {
        Path json = write("tokenizer.json", wordLevel(Map.of(3, "<|endoftext|>"), BYTE_LEVEL_PROCESSOR));
        BosRule rule = BosRule.fromTokenizerFiles(json).orElseThrow();
        assertFalse(rule.prepends());
        assertLibraryAgrees(rule, json);
        Files.delete(json);
        write("vocab.json", "{\"<|endoftext|>\": 3, \"the\": 4}");
        write("merges.txt", "#version: 0.2\n");
        assertEquals(Optional.empty(), BosRule.fromTokenizerFiles(dir));
        assertEquals("id 50256 prepended: config.json bos_token_id", BosRule.configJson(50256).describe());
    }

    @Test
    void nullPostProcessorAndATemplateStartingWithTheSequencePrependNothing() throws IOException {
        Path json = write("tokenizer.json", wordLevel(Map.of(1, "</s>"), "null"));
        assertEquals(BosRule.none("tokenizer.json post_processor null"), BosRule.fromTokenizerFiles(json).orElseThrow());
        assertLibraryAgrees(BosRule.fromTokenizerFiles(json).orElseThrow(), json);
        String eosAfter = """
                {"type": "TemplateProcessing",
                 "single": [{"Sequence": {"id": "A", "type_id": 0}}, {"SpecialToken": {"id": "</s>", "type_id": 0}}],
                 "pair": [{"Sequence": {"id": "A", "type_id": 0}}, {"Sequence": {"id": "B", "type_id": 1}}],
                 "special_tokens": {"</s>": {"id": "</s>", "ids": [1], "tokens": ["</s>"]}}}
                """;
        write("tokenizer.json", wordLevel(Map.of(1, "</s>"), eosAfter));
        assertFalse(BosRule.fromTokenizerFiles(json).orElseThrow().prepends());
    }

    @Test
    void aBosTokenOutsideTheVocabularyIsNamedWithItsFile() throws IOException {
        write("tokenizer.json", wordLevel(Map.of(1, "<s>"), "null"));
        Path config = write("tokenizer_config.json", "{\"add_bos_token\": true, \"bos_token\": \"<start>\"}");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> BosRule.fromTokenizerFiles(dir));
        assertTrue(e.getMessage().startsWith(config + ": bos_token '<start>' is not in the vocabulary of "),
                e.getMessage());
        Files.writeString(config, "{\"add_bos_token\": true, \"bos_token\": null}");
        e = assertThrows(IllegalArgumentException.class, () -> BosRule.fromTokenizerFiles(dir));
        assertEquals(config + ": add_bos_token is true but bos_token is not set", e.getMessage());
        Files.writeString(config, "{\"add_bos_token\": tru");
        e = assertThrows(IllegalArgumentException.class, () -> BosRule.fromTokenizerFiles(dir));
        assertTrue(e.getMessage().startsWith(config + " is not valid JSON at line 1"), e.getMessage());
    }
}
