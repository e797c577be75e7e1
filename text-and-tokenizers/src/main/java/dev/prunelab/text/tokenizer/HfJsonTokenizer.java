package dev.prunelab.text.tokenizer;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.Map;

/**
 * A Hugging Face {@code tokenizer.json}, run by the Rust tokenizers library through DJL, loaded from a local file
 * only.
 *
 * <p>Offline: DJL's native library ships inside its jar and is unpacked to DJL's cache ({@code ~/.djl.ai} or
 * {@code DJL_CACHE_DIR}). On a machine with a CUDA GPU DJL would otherwise try to download a CUDA build of that
 * library, so this class switches DJL to offline mode ({@code ai.djl.offline=true}) unless the user already chose
 * with that property or the {@code DJL_OFFLINE} environment variable; the CPU build from the jar is then used.
 *
 * <p>Encoding adds no special tokens (no BOS/EOS from the post-processor: the caller prepends the BOS that
 * {@link BosRule} reads from the tokenizer files); decoding keeps special tokens, so that
 * a "&lt;s&gt;" typed in the text survives the round trip. Whether {@code decode(encode(t))} reproduces {@code t}
 * exactly depends on the tokenizer.json (normalizers such as lower-casing lose information); byte-level and
 * byte-fallback tokenizers round-trip.
 */
public final class HfJsonTokenizer implements TextTokenizer {
    static {
        if (System.getProperty("ai.djl.offline") == null && System.getenv("DJL_OFFLINE") == null) {
            System.setProperty("ai.djl.offline", "true");
        }
    }

    private final Path file;
    private final HuggingFaceTokenizer tokenizer;
    private final int vocabSize;
    private boolean closed;

    private HfJsonTokenizer(Path file, HuggingFaceTokenizer tokenizer, int vocabSize) {
        this.file = file;
        this.tokenizer = tokenizer;
        this.vocabSize = vocabSize;
    }

    /** Loads {@code file}, a tokenizer.json. */
    public static HfJsonTokenizer open(Path file) {
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException("tokenizer.json " + file + " does not exist or is not a file");
        }
        int vocabSize = countVocabulary(file);
        Map<String, String> options = Map.of(
                "addSpecialTokens", "false",
                "truncation", "false",
                "padding", "false");
        try {
            return new HfJsonTokenizer(file, HuggingFaceTokenizer.newInstance(file, options), vocabSize);
        } catch (IOException | RuntimeException e) {
            throw new IllegalArgumentException("cannot load tokenizer.json " + file + ": " + e.getMessage(), e);
        }
    }

    /**
     * The vocabulary size, which DJL does not expose: one more than the highest id in the model's vocab (an object
     * token -> id for BPE/WordLevel/WordPiece, a list of [piece, score] for Unigram) or in added_tokens.
     */
    private static int countVocabulary(Path file) {
        JsonNode root;
        try {
            root = new ObjectMapper().readTree(file.toFile());
        } catch (IOException e) {
            throw new IllegalArgumentException("tokenizer.json " + file + " is not valid JSON: " + e.getMessage(), e);
        }
        JsonNode vocab = root.path("model").path("vocab");
        int maxId = -1;
        if (vocab.isObject()) {
            for (Iterator<JsonNode> it = vocab.elements(); it.hasNext(); ) {
                maxId = Math.max(maxId, it.next().asInt(-1));
            }
        } else if (vocab.isArray()) {
            maxId = vocab.size() - 1;
        } else {
            throw new IllegalArgumentException("tokenizer.json " + file + " has no model.vocab (object or list)");
        }
        for (JsonNode added : root.path("added_tokens")) {
            maxId = Math.max(maxId, added.path("id").asInt(-1));
        }
        if (maxId < 0) {
            throw new IllegalArgumentException("tokenizer.json " + file + " has an empty vocabulary");
        }
        return maxId + 1;
    }

    @Override
    public int[] encode(String text) {
        if (text == null) {
            throw new IllegalArgumentException("text to encode is null");
        }
        checkOpen();
        if (text.isEmpty()) {
            return new int[0];
        }
        Encoding encoding = tokenizer.encode(text, false, false);
        long[] ids = encoding.getIds();
        int[] out = new int[ids.length];
        for (int i = 0; i < ids.length; i++) {
            out[i] = Math.toIntExact(ids[i]);
        }
        return out;
    }

    @Override
    public String decode(int[] ids) {
        if (ids == null) {
            throw new IllegalArgumentException("ids to decode are null");
        }
        checkOpen();
        long[] longs = new long[ids.length];
        for (int i = 0; i < ids.length; i++) {
            checkId(ids[i]);
            longs[i] = ids[i];
        }
        return tokenizer.decode(longs, false);
    }

    /**
     * The text {@code id} adds after {@code previousId}: decode(previous, id) minus decode(previous), since decoders
     * (sentencepiece's "▁" → space, WordPiece's "##") depend on the neighbour. The library decodes to a string, so
     * a token holding part of a character yields U+FFFD here; callers needing exact streaming text should decode
     * the accumulated ids with {@link #decode} instead.
     */
    @Override
    public byte[] pieceBytes(int previousId, int id) {
        checkId(id);
        String text;
        if (previousId < 0) {
            text = decode(new int[] {id});
        } else {
            String both = decode(new int[] {previousId, id});
            String before = decode(new int[] {previousId});
            text = both.startsWith(before) ? both.substring(before.length()) : decode(new int[] {id});
        }
        return text.getBytes(StandardCharsets.UTF_8);
    }

    private void checkId(int id) {
        if (id < 0 || id >= vocabSize) {
            throw new IllegalArgumentException("token id " + id + " is outside the " + vocabSize
                    + "-token vocabulary of " + file);
        }
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("tokenizer " + file + " is closed");
        }
    }

    @Override
    public int vocabSize() {
        return vocabSize;
    }

    @Override
    public String kind() {
        return "hf-json";
    }

    @Override
    public synchronized void close() {
        if (!closed) {
            closed = true;
            tokenizer.close();
        }
    }

    @Override
    public String toString() {
        return "HfJsonTokenizer[" + file + ", " + vocabSize + " tokens]";
    }
}
