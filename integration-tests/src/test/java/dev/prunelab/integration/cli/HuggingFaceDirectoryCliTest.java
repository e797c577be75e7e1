package dev.prunelab.integration.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.prunelab.cli.LabCli;
import dev.prunelab.modelformat.ModelCard;
import dev.prunelab.pruning.checkpoint.ModelLoader;
import dev.prunelab.pruning.export.OnnxWeights;
import dev.prunelab.pruning.model.DType;
import dev.prunelab.pruning.model.InMemoryTensors;
import dev.prunelab.pruning.model.LoadedModel;
import dev.prunelab.text.corpus.SharedData;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The command lines around Hugging Face directories: {@code export} finds the directory's tokenizer and records its BOS
 * rule; {@code prune --save-hf} writes the pruned model back in the source's layout with the pruned model's zeros;
 * a structured {@code --save-hf} is refused in one line before any work; {@code export --hf-out} converts llama2.c.
 */
class HuggingFaceDirectoryCliTest {
    @TempDir
    Path temp;

    private record Run(int code, String err) {
    }

    private static Run lab(String... args) {
        StringWriter err = new StringWriter();
        int code = LabCli.run(new PrintWriter(err, true), args);
        return new Run(code, err.toString());
    }

    /** A bfloat16 tiny Llama with Gemma-style tokenizer files (add_bos_token true, &lt;bos&gt; = 2). */
    private Path source() throws Exception {
        Path model = temp.resolve("source");
        assertEquals(0, lab("synthesize", "--family", "llama", "--preset", "tiny-llama-gqa", "--dtype", "bf16",
                "--out", model.toString()).code());
        Files.writeString(model.resolve("tokenizer.json"), """
                {"version": "1.0", "truncation": null, "padding": null,
                 "added_tokens": [{"id": 2, "content": "<bos>", "single_word": false, "lstrip": false, "rstrip": false,
                                   "normalized": false, "special": true}],
                 "normalizer": null, "pre_tokenizer": {"type": "WhitespaceSplit"}, "post_processor": null,
                 "decoder": null,
                 "model": {"type": "WordLevel", "vocab": {"<unk>": 0, "<eos>": 1, "<bos>": 2, "once": 3},
                           "unk_token": "<unk>"}}
                """);
        Files.writeString(model.resolve("tokenizer_config.json"),
                "{\"add_bos_token\": true, \"bos_token\": \"<bos>\", \"eos_token\": \"<eos>\"}");
        return model;
    }

    @Test
    void synthesizeWritesASliceOfAShapesFirstLayersAndRefusesALayerCountOutsideIt() throws Exception {
        Path slice = temp.resolve("slice");
        Run written = lab("synthesize", "--family", "llama", "--preset", "tiny-llama-gqa", "--layers", "1",
                "--out", slice.toString());
        assertEquals(0, written.code(), written.err());
        try (LoadedModel model = ModelLoader.open(slice, Optional.empty())) {
            assertEquals(1, model.config().numLayers());
            assertEquals(64, model.config().hiddenSize(), "the shape's widths are kept");
            assertTrue(model.tensors().contains("model.layers.0.mlp.down_proj.weight"));
            assertFalse(model.tensors().contains("model.layers.1.mlp.down_proj.weight"));
        }
        for (String layers : new String[] {"0", "3"}) {
            Run refused = lab("synthesize", "--family", "llama", "--preset", "tiny-llama-gqa", "--layers", layers,
                    "--out", temp.resolve("refused-" + layers).toString());
            assertEquals(2, refused.code(), refused.err());
            assertTrue(refused.err().contains("--layers " + layers + " is not between 1 and tiny-llama-gqa's 2 layers"),
                    refused.err());
        }
    }

    @Test
    void exportUsesTheDirectorysTokenizerAndPruneSaveHfKeepsTheLayoutAndTheZeros() throws Exception {
        Path source = source();
        Path exported = temp.resolve("exported");
        Run export = lab("export", "--model", source.toString(), "--out", exported.toString());
        assertEquals(0, export.code(), export.err());
        ModelCard card = ModelCard.read(exported);
        assertEquals("tokenizer.json", card.tokenizerFile());
        assertEquals(2, card.bosTokenId());
        assertEquals("<bos> (2) prepended: tokenizer_config.json add_bos_token", card.bosRule());

        Path pruned = temp.resolve("pruned");
        Path hf = temp.resolve("pruned-hf");
        Run prune = lab("prune", "--model", source.toString(), "--method", "magnitude", "--sparsity", "0.5",
                "--out", pruned.toString(), "--save-hf", hf.toString());
        assertEquals(0, prune.code(), prune.err());
        try (LoadedModel original = ModelLoader.open(source); LoadedModel back = ModelLoader.open(hf);
             InMemoryTensors onnx = OnnxWeights.read(pruned)) {
            assertEquals(original.tensors().names(), back.tensors().names());
            int linears = 0;
            for (String name : back.tensors().names()) {
                assertEquals(DType.BF16, back.tensors().info(name).dtype(), name);
                if (name.endsWith("_proj.weight")) {
                    // magnitude keeps the source's bfloat16 values: the written tensor is the pruned model's exactly
                    assertArrayEquals(onnx.readFloats(name), back.tensors().readFloats(name), name);
                    linears++;
                }
            }
            assertEquals(2 * 7, linears);
            assertEquals(original.bosRule(), back.bosRule());
        }
        assertArrayEquals(Files.readAllBytes(source.resolve("tokenizer_config.json")),
                Files.readAllBytes(hf.resolve("tokenizer_config.json")));
        try (var siblings = Files.list(temp)) {
            assertFalse(siblings.anyMatch(p -> p.getFileName().toString().contains("pruned-weights")),
                    "the pruned weights kept for --save-hf are removed");
        }
    }

    @Test
    void aStructuredSaveHfIsRefusedInOneLineBeforeAnyWork() throws Exception {
        Path source = source();
        Path out = temp.resolve("structured");
        Run run = lab("prune", "--model", source.toString(), "--method", "structured", "--target", "mlp", "--ratio",
                "0.5", "--score", "magnitude", "--out", out.toString(), "--save-hf", temp.resolve("hf").toString());
        assertEquals(2, run.code(), run.err());
        assertEquals(1, run.err().strip().lines().count(), run.err());
        assertTrue(run.err().contains("--save-hf: a structured result has different widths per layer, which no "
                + "Hugging Face config.json describes; it can only be exported to ONNX (--out)"), run.err());
        assertFalse(Files.exists(out));
        assertFalse(Files.exists(temp.resolve("hf")));
    }

    @Test
    void exportHfOutWritesALlama2cCheckpointAsAHuggingFaceLlamaDirectory() throws Exception {
        Path hf = temp.resolve("stories260K-hf");
        Run run = lab("export", "--model", SharedData.path("models/stories260K/stories260K.bin").toString(),
                "--hf-out", hf.toString());
        assertEquals(0, run.code(), run.err());
        try (LoadedModel back = ModelLoader.open(hf)) {
            assertEquals("llama", back.config().modelType());
            assertTrue(back.tokenizerPath().isPresent());
        }
        Run neither = lab("export", "--model", hf.toString());
        assertEquals(2, neither.code(), neither.err());
        assertTrue(neither.err().contains("--out or --hf-out is required"), neither.err());
        Run over = lab("export", "--model", hf.toString(), "--hf-out", hf.toString());
        assertEquals(2, over.code(), over.err());
        assertTrue(over.err().contains("is or holds the source model"), over.err());
    }
}
