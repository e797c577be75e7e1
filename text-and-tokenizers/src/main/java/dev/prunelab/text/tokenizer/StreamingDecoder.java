package dev.prunelab.text.tokenizer;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Turns generated token ids into text as they arrive, without ever splitting a character.
 *
 * <p>Byte-fallback and byte-level tokens can carry a fraction of a multi-byte UTF-8 character (an emoji is often
 * four llama2.c tokens {@code <0xF0><0x9F><0x98><0x80>}). Decoding each token alone would print garbage, so this
 * class accumulates each token's {@link TextTokenizer#pieceBytes raw bytes} and returns only the text of complete
 * characters; an unfinished character's bytes wait for the next token. Bytes that can never form a character are
 * emitted as U+FFFD, like {@link TextTokenizer#decode}. Not thread-safe: one instance per generation.
 */
public final class StreamingDecoder {
    private final TextTokenizer tokenizer;
    private int previousId;
    private byte[] pending = new byte[16];
    private int pendingLength;

    /**
     * @param previousId the last id already shown (the prompt's last token, or the BOS id, or -1 for none); it
     *                   decides e.g. whether llama2.c strips the dummy-prefix space of the first piece
     */
    public StreamingDecoder(TextTokenizer tokenizer, int previousId) {
        if (tokenizer == null) {
            throw new IllegalArgumentException("tokenizer is null");
        }
        this.tokenizer = tokenizer;
        this.previousId = previousId;
    }

    /** The text that became complete with token {@code id} (possibly empty). */
    public String push(int id) {
        byte[] bytes = tokenizer.pieceBytes(previousId, id);
        previousId = id;
        if (pendingLength + bytes.length > pending.length) {
            pending = Arrays.copyOf(pending, Math.max(pending.length * 2, pendingLength + bytes.length));
        }
        System.arraycopy(bytes, 0, pending, pendingLength, bytes.length);
        pendingLength += bytes.length;
        int complete = completePrefixLength(pending, pendingLength);
        String text = new String(pending, 0, complete, StandardCharsets.UTF_8);
        System.arraycopy(pending, complete, pending, 0, pendingLength - complete);
        pendingLength -= complete;
        return text;
    }

    /** Whatever is still held back (an unfinished character, as U+FFFD); the decoder is empty afterwards. */
    public String finish() {
        String text = new String(pending, 0, pendingLength, StandardCharsets.UTF_8);
        pendingLength = 0;
        return text;
    }

    /**
     * Length of the prefix that ends on a character boundary: the trailing bytes are held back only when they are
     * the start of a sequence that the next bytes may still complete.
     */
    static int completePrefixLength(byte[] bytes, int length) {
        // A UTF-8 sequence is at most 4 bytes, so only the last 3 bytes can be an unfinished sequence.
        for (int back = 1; back <= Math.min(3, length); back++) {
            int b = bytes[length - back] & 0xFF;
            if ((b & 0xC0) == 0x80) {
                continue; // continuation byte: keep looking for its lead byte
            }
            int needed = (b & 0xE0) == 0xC0 ? 2 : (b & 0xF0) == 0xE0 ? 3 : (b & 0xF8) == 0xF0 ? 4 : 1;
            return needed > back ? length - back : length;
        }
        return length;
    }
}
