package dev.prunelab.text.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.prunelab.text.corpus.SharedData;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HfJsonTokenizerTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** A WordLevel tokenizer with a whitespace pre-tokenizer and a BOS-adding post-processor. */
    private static Path writeWordLevel(Path dir) throws IOException {
        String json = """
                {
                  "version": "1.0",
                  "truncation": null,
                  "padding": null,
                  "added_tokens": [
                    {"id": 0, "content": "[UNK]", "single_word": false, "lstrip": false, "rstrip": false,
                     "normalized": false, "special": true},
                    {"id": 1, "content": "<s>", "single_word": false, "lstrip": false, "rstrip": false,
                     "normalized": false, "special": true}
                  ],
                  "normalizer": null,
                  "pre_tokenizer": {"type": "WhitespaceSplit"},
                  "post_processor": {
                    "type": "TemplateProcessing",
                    "single": [{"SpecialToken": {"id": "<s>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}],
                    "pair": [{"Sequence": {"id": "A", "type_id": 0}}, {"Sequence": {"id": "B", "type_id": 1}}],
                    "special_tokens": {"<s>": {"id": "<s>", "ids": [1], "tokens": ["<s>"]}}
                  },
                  "decoder": null,
                  "model": {
                    "type": "WordLevel",
                    "vocab": {"[UNK]": 0, "<s>": 1, "the": 2, "cat": 3, "sat": 4, "on": 5, "mat": 6},
                    "unk_token": "[UNK]"
                  }
                }
                """;
        Path file = dir.resolve("tokenizer.json");
        Files.writeString(file, json);
        return file;
    }

    @Test
    void wordLevelGivesExactIdsWithoutSpecialTokens(@TempDir Path dir) throws IOException {
        try (TextTokenizer tok = TextTokenizer.open(writeWordLevel(dir))) {
            assertEquals("hf-json", tok.kind());
            assertEquals(7, tok.vocabSize());
            // No BOS although the post-processor would add one: encode returns pieces only.
            assertArrayEquals(new int[] {2, 3, 4, 5, 2, 6}, tok.encode("the cat sat on the mat"));
            assertArrayEquals(new int[] {2, 0}, tok.encode("the dog"));
            assertEquals("the cat sat on the mat", tok.decode(tok.encode("the cat sat on the mat")));
            assertEquals(" cat", tok.decodePiece(2, 3));
            assertEquals("the", tok.decodePiece(-1, 2));
        }
    }

    @Test
    void directoryHoldingTokenizerJsonOpensIt(@TempDir Path dir) throws IOException {
        writeWordLevel(dir);
        try (TextTokenizer tok = TextTokenizer.open(dir)) {
            assertArrayEquals(new int[] {3}, tok.encode("cat"));
        }
    }

    @Test
    void closeIsSafeTwiceAndUseAfterCloseFails(@TempDir Path dir) throws IOException {
        TextTokenizer tok = TextTokenizer.open(writeWordLevel(dir));
        tok.close();
        tok.close();
        assertThrows(IllegalStateException.class, () -> tok.encode("cat"));
    }

    @Test
    void invalidJsonIsRejectedNamingTheFile(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("tokenizer.json");
        Files.writeString(file, "{ not json");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> TextTokenizer.open(file));
        assertTrue(e.getMessage().contains(file.toString()), e.getMessage());
    }

    /**
     * The shipped GPT-2 vocabulary and merges written as a byte-level BPE tokenizer.json: the Rust library must
     * give the same ids as our own GPT-2 implementation, which cross-checks both, and must not truncate.
     */
    @Test
    void byteLevelBpeMatchesGpt2Implementation(@TempDir Path dir) throws IOException {
        Path gpt2Dir = SharedData.path("tokenizers/gpt2");
        ObjectNode root = JSON.createObjectNode();
        root.put("version", "1.0");
        root.putNull("truncation");
        root.putNull("padding");
        ArrayNode added = root.putArray("added_tokens");
        added.addObject().put("id", 50256).put("content", "<|endoftext|>").put("single_word", false)
                .put("lstrip", false).put("rstrip", false).put("normalized", true).put("special", true);
        root.putNull("normalizer");
        root.set("pre_tokenizer", JSON.valueToTree(Map.of("type", "ByteLevel", "add_prefix_space", false,
                "trim_offsets", true, "use_regex", true)));
        root.putNull("post_processor");
        root.set("decoder", JSON.valueToTree(Map.of("type", "ByteLevel", "add_prefix_space", true,
                "trim_offsets", true, "use_regex", true)));
        ObjectNode model = root.putObject("model");
        model.put("type", "BPE");
        model.putNull("dropout");
        model.putNull("unk_token");
        model.put("continuing_subword_prefix", "");
        model.put("end_of_word_suffix", "");
        model.put("fuse_unk", false);
        model.put("byte_fallback", false);
        model.set("vocab", JSON.readTree(gpt2Dir.resolve("vocab.json").toFile()));
        ArrayNode merges = model.putArray("merges");
        List<String> lines = Files.readAllLines(gpt2Dir.resolve("merges.txt"), StandardCharsets.UTF_8);
        for (String line : lines) {
            if (!line.isEmpty() && !line.startsWith("#version")) {
                merges.add(line);
            }
        }
        Path file = dir.resolve("tokenizer.json");
        JSON.writeValue(file.toFile(), root);

        String text = Files.readString(SharedData.path("text/wikitext-2-raw/wiki.test.raw")).substring(0, 100_000);
        try (TextTokenizer hf = TextTokenizer.open(file); TextTokenizer ours = TextTokenizer.open(gpt2Dir)) {
            assertEquals(50257, hf.vocabSize());
            int[] expected = ours.encode(text);
            int[] actual = hf.encode(text);
            assertTrue(actual.length > 1024, "not truncated: " + actual.length);
            assertArrayEquals(expected, actual);
            assertEquals(text, hf.decode(actual));
        }
    }
}
