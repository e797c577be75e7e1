package dev.prunelab.text.tokenizer;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A tokenizer that turns text into model token ids and back.
 *
 * <p>{@link #encode} never adds BOS/EOS: callers that need them (perplexity windows, prompts) add the model's own
 * ids, so the same tokenizer serves models with different conventions. {@link #decode} is the exact inverse of
 * {@link #encode} for any well-formed Java string (lone UTF-16 surrogates cannot survive UTF-8 and are not).
 */
public interface TextTokenizer extends AutoCloseable {

    /** The pieces of {@code text}, without BOS or EOS. */
    int[] encode(String text);

    /** The text of {@code ids}; {@code decode(encode(t)).equals(t)}. */
    String decode(int[] ids);

    /**
     * The raw UTF-8 bytes token {@code id} contributes when it follows {@code previousId} (use -1 for "start of
     * text"). A token may carry only part of a multi-byte character (llama2.c byte-fallback tokens, GPT-2 byte-level
     * tokens), so these bytes are not always decodable on their own; {@link StreamingDecoder} accumulates them.
     */
    byte[] pieceBytes(int previousId, int id);

    /**
     * The text of one token for streaming output, decoded from {@link #pieceBytes}. A token holding only part of a
     * multi-byte character comes out as U+FFFD here; streaming callers that must print exact text use
     * {@link StreamingDecoder}, which holds such bytes back until the character is complete.
     */
    default String decodePiece(int previousId, int id) {
        return new String(pieceBytes(previousId, id), StandardCharsets.UTF_8);
    }

    /** Number of token ids the tokenizer knows (the model's embedding rows must cover it). */
    int vocabSize();

    /** "llama2c", "gpt2-bpe" or "hf-json". */
    String kind();

    /** Releases native resources, if any; safe to call more than once. */
    @Override
    void close();

    /**
     * Opens the tokenizer stored at {@code path}: a {@code *.bin} file is a llama2.c tokenizer.bin; a
     * {@code tokenizer.json} file, or a directory holding one, is a Hugging Face tokenizer; a directory holding
     * {@code vocab.json} and {@code merges.txt} is a GPT-2 byte-level BPE; a directory holding only a
     * {@code tokenizer.bin} is a llama2.c tokenizer.
     */
    static TextTokenizer open(Path path) {
        if (path == null) {
            throw new IllegalArgumentException("tokenizer path is null");
        }
        if (!Files.exists(path)) {
            throw new IllegalArgumentException("tokenizer " + path + " does not exist");
        }
        String name = path.getFileName() == null ? "" : path.getFileName().toString();
        if (Files.isRegularFile(path)) {
            if (name.endsWith(".bin")) {
                return Llama2cTokenizer.open(path);
            }
            if (name.equals("tokenizer.json")) {
                return HfJsonTokenizer.open(path);
            }
        } else if (Files.isDirectory(path)) {
            if (Files.isRegularFile(path.resolve("tokenizer.json"))) {
                return HfJsonTokenizer.open(path.resolve("tokenizer.json"));
            }
            if (Files.isRegularFile(path.resolve("vocab.json")) && Files.isRegularFile(path.resolve("merges.txt"))) {
                return Gpt2BpeTokenizer.open(path);
            }
            if (Files.isRegularFile(path.resolve("tokenizer.bin"))) {
                return Llama2cTokenizer.open(path.resolve("tokenizer.bin"));
            }
        }
        throw new IllegalArgumentException("cannot tell which tokenizer " + path + " holds: expected a llama2.c "
                + "*.bin file, a tokenizer.json file, or a directory holding tokenizer.json, vocab.json + merges.txt, "
                + "or tokenizer.bin");
    }
}
