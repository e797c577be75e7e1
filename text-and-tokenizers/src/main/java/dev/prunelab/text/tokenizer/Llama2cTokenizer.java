package dev.prunelab.text.tokenizer;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The sentencepiece-style BPE of llama2.c, read from its {@code tokenizer.bin} and applied exactly like run.c's
 * {@code encode}/{@code decode}.
 *
 * <p>File layout (little-endian): int32 max_token_length, then for every piece until end of file: float32 score,
 * int32 byte length, the piece's bytes. The vocabulary size is the number of pieces found. Ids 0, 1, 2 are
 * {@code <unk>}, BOS, EOS and ids 3..258 the byte-fallback pieces {@code <0x00>..<0xFF>} (run.c hard-codes
 * "byte + 3").
 *
 * <p>An older llama2.c export (the {@code tokenizer.bin} published with stories15M) stored pieces 3..258 as the
 * raw byte (0x00-0x7F) or as the UTF-8 of U+0080..U+00FF instead of {@code <0xXX>}, so 204 of them equal a
 * regular piece with a higher id. They are read as the {@code <0xXX>} pieces they stand for: then every text
 * encodes to the ids of the current vocabulary (where a piece appears twice, the later id, as llama2.c's current
 * tokenizer.bin gives), and decoding still yields the byte.
 *
 * <p>Pieces are handled internally as ISO-8859-1 strings, one char per byte, so that concatenating and looking up
 * pieces works on bytes exactly as run.c does on C strings; text only becomes UTF-8 text again when decoding.
 */
public final class Llama2cTokenizer implements TextTokenizer {
    public static final int BOS_ID = 1;
    public static final int EOS_ID = 2;
    static final int FIRST_BYTE_ID = 3;
    private static final int CACHE_LIMIT = 200_000;

    private final Path file;
    private final String[] pieces;
    private final float[] scores;
    private final Map<String, Integer> idOfPiece;
    private final boolean chunkable;
    private final Map<String, int[]> chunkCache = new ConcurrentHashMap<>();

    private Llama2cTokenizer(Path file, String[] pieces, float[] scores) {
        this.file = file;
        this.pieces = pieces;
        this.scores = scores;
        this.idOfPiece = new HashMap<>(pieces.length * 2);
        for (int id = 0; id < pieces.length; id++) {
            idOfPiece.putIfAbsent(pieces[id], id); // duplicates: the lowest id wins, deterministically
        }
        this.chunkable = idOfPiece.containsKey(" ") && noPieceJoinsWordToSpace(pieces);
    }

    /** Reads a llama2.c tokenizer.bin; errors name the file and what is wrong with it. */
    public static Llama2cTokenizer open(Path file) {
        byte[] data;
        try {
            data = Files.readAllBytes(file);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read llama2.c tokenizer " + file, e);
        }
        ByteBuffer in = ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN);
        if (in.remaining() < 4) {
            throw malformed(file, "is " + data.length + " bytes, too short for the int32 max_token_length header");
        }
        int maxTokenLength = in.getInt();
        if (maxTokenLength <= 0 || maxTokenLength > 1 << 16) {
            throw malformed(file, "has max_token_length " + maxTokenLength + " (expected 1..65536): "
                    + "not a llama2.c tokenizer.bin");
        }
        List<String> pieces = new ArrayList<>();
        List<Float> scores = new ArrayList<>();
        while (in.hasRemaining()) {
            int index = pieces.size();
            if (in.remaining() < 8) {
                throw malformed(file, "is truncated in the header of piece " + index + " (" + in.remaining()
                        + " bytes left, 8 needed for score and length)");
            }
            float score = in.getFloat();
            int length = in.getInt();
            if (Float.isNaN(score)) {
                throw malformed(file, "has a NaN score for piece " + index);
            }
            if (length < 0 || length > maxTokenLength) {
                throw malformed(file, "declares length " + length + " for piece " + index
                        + " (expected 0.." + maxTokenLength + ", the max_token_length header)");
            }
            if (in.remaining() < length) {
                throw malformed(file, "is truncated in piece " + index + ": " + length + " bytes declared, "
                        + in.remaining() + " left");
            }
            byte[] bytes = new byte[length];
            in.get(bytes);
            pieces.add(new String(bytes, StandardCharsets.ISO_8859_1));
            scores.add(score);
        }
        if (pieces.size() < FIRST_BYTE_ID + 256) {
            throw malformed(file, "has " + pieces.size() + " pieces; a llama2.c vocabulary needs at least 259 "
                    + "(<unk>, BOS, EOS and 256 byte-fallback pieces)");
        }
        for (int b = 0; b < 256; b++) {
            String expected = byteFallbackPiece(b);
            String found = pieces.get(FIRST_BYTE_ID + b);
            if (found.equals(legacyBytePiece(b))) {
                // An older llama2.c build stored the byte itself; the piece means the same byte-fallback token.
                pieces.set(FIRST_BYTE_ID + b, expected);
            } else if (!found.equals(expected)) {
                throw malformed(file, "has piece " + (FIRST_BYTE_ID + b) + " = '" + printable(found)
                        + "' where the byte-fallback piece " + expected + " belongs");
            }
        }
        float[] scoreArray = new float[scores.size()];
        for (int i = 0; i < scoreArray.length; i++) {
            scoreArray[i] = scores.get(i);
        }
        return new Llama2cTokenizer(file, pieces.toArray(String[]::new), scoreArray);
    }

    /** The byte-fallback piece of byte {@code b} as sentencepiece names it: {@code <0x41>}. */
    private static String byteFallbackPiece(int b) {
        return String.format("<0x%02X>", b);
    }

    /**
     * The byte-fallback piece of byte {@code b} as an older llama2.c export wrote it (the tokenizer.bin published
     * with stories15M): the byte itself for 0x00-0x7F, the UTF-8 of U+0080..U+00FF above; in the ISO-8859-1 view
     * pieces are kept in.
     */
    private static String legacyBytePiece(int b) {
        return new String(String.valueOf((char) b).getBytes(StandardCharsets.UTF_8), StandardCharsets.ISO_8859_1);
    }

    /** A piece for an error message: control bytes and non-ASCII bytes as \xNN, so no raw byte reaches a terminal. */
    static String printable(String piece) {
        StringBuilder out = new StringBuilder(piece.length());
        for (int i = 0; i < piece.length(); i++) {
            char c = piece.charAt(i);
            if (c < 0x20 || c >= 0x7F) {
                out.append(String.format("\\x%02X", (int) c));
            } else {
                out.append(c);
            }
        }
        return out.toString();
    }

    private static IllegalArgumentException malformed(Path file, String problem) {
        return new IllegalArgumentException("llama2.c tokenizer " + file + " " + problem);
    }

    /**
     * True when no piece holds a non-space byte directly followed by a space. Then no merge can join the end of a
     * word to the space that starts the next one (every merge result is a piece), so text may be encoded in chunks
     * cut before each such space with the same result as encoding it whole. sentencepiece vocabularies satisfy
     * this; the Llama-2 vocabulary's all-space pieces ("  ", "    ") are harmless because chunks never split a run
     * of spaces.
     */
    private static boolean noPieceJoinsWordToSpace(String[] pieces) {
        for (String piece : pieces) {
            for (int i = 1; i < piece.length(); i++) {
                if (piece.charAt(i) == ' ' && piece.charAt(i - 1) != ' ') {
                    return false;
                }
            }
        }
        return true;
    }

    @Override
    public int[] encode(String text) {
        if (text == null) {
            throw new IllegalArgumentException("text to encode is null");
        }
        if (text.isEmpty()) {
            return new int[0];
        }
        // run.c prepends the dummy-prefix " " whenever the text is non-empty.
        String bytes = " " + new String(text.getBytes(StandardCharsets.UTF_8), StandardCharsets.ISO_8859_1);
        if (!chunkable) {
            return mergeChunk(bytes);
        }
        IntList out = new IntList(bytes.length() / 3 + 16);
        int start = 0;
        for (int i = 1; i <= bytes.length(); i++) {
            if (i == bytes.length() || (bytes.charAt(i) == ' ' && bytes.charAt(i - 1) != ' ')) {
                out.addAll(cachedChunk(bytes.substring(start, i)));
                start = i;
            }
        }
        return out.toArray();
    }

    /** Encodes the whole text in one merge loop, like run.c; only for tests comparing it to chunked encoding. */
    int[] encodeUnchunked(String text) {
        return text.isEmpty() ? new int[0]
                : mergeChunk(" " + new String(text.getBytes(StandardCharsets.UTF_8), StandardCharsets.ISO_8859_1));
    }

    private int[] cachedChunk(String chunk) {
        int[] ids = chunkCache.get(chunk);
        if (ids == null) {
            ids = mergeChunk(chunk);
            if (chunkCache.size() >= CACHE_LIMIT) {
                chunkCache.clear(); // bound memory on huge inputs; the cache only saves time
            }
            chunkCache.put(chunk, ids);
        }
        return ids;
    }

    /** run.c's encode on one chunk of bytes (ISO-8859-1 view): codepoints or byte fallback, then greedy merges. */
    private int[] mergeChunk(String bytes) {
        int[] ids = new int[bytes.length()];
        int n = 0;
        for (int i = 0; i < bytes.length(); ) {
            // A codepoint is a lead byte plus its continuation bytes (10xxxxxx), at most 4 bytes, as in run.c.
            int end = i + 1;
            while (end < bytes.length() && end - i < 4 && (bytes.charAt(end) & 0xC0) == 0x80) {
                end++;
            }
            Integer id = idOfPiece.get(bytes.substring(i, end));
            if (id != null) {
                ids[n++] = id;
            } else {
                for (int k = i; k < end; k++) {
                    ids[n++] = bytes.charAt(k) + FIRST_BYTE_ID;
                }
            }
            i = end;
        }
        while (true) {
            float bestScore = Float.NEGATIVE_INFINITY;
            int bestId = -1;
            int bestIndex = -1;
            for (int i = 0; i + 1 < n; i++) {
                Integer merged = idOfPiece.get(pieces[ids[i]] + pieces[ids[i + 1]]);
                // Strictly greater: among equal scores the leftmost pair wins, as in run.c.
                if (merged != null && scores[merged] > bestScore) {
                    bestScore = scores[merged];
                    bestId = merged;
                    bestIndex = i;
                }
            }
            if (bestIndex < 0) {
                break;
            }
            ids[bestIndex] = bestId;
            System.arraycopy(ids, bestIndex + 2, ids, bestIndex + 1, n - bestIndex - 2);
            n--;
        }
        return Arrays.copyOf(ids, n);
    }

    @Override
    public String decode(int[] ids) {
        if (ids == null) {
            throw new IllegalArgumentException("ids to decode are null");
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream(ids.length * 4);
        int previous = -1;
        for (int id : ids) {
            out.writeBytes(pieceBytes(previous, id));
            previous = id;
        }
        return out.toString(StandardCharsets.UTF_8);
    }

    /**
     * The bytes of token {@code id}: nothing for BOS/EOS (control tokens, not text), the single byte of a
     * byte-fallback piece, otherwise the piece; at the start of text ({@code previousId} is -1 or BOS) a leading
     * space is the dummy prefix that encode added and is dropped, like run.c's decode.
     */
    @Override
    public byte[] pieceBytes(int previousId, int id) {
        checkId(id);
        if (id == BOS_ID || id == EOS_ID) {
            return new byte[0];
        }
        byte[] bytes = id >= FIRST_BYTE_ID && id < FIRST_BYTE_ID + 256
                ? new byte[] {(byte) (id - FIRST_BYTE_ID)}
                : pieces[id].getBytes(StandardCharsets.ISO_8859_1);
        if ((previousId < 0 || previousId == BOS_ID) && bytes.length > 0 && bytes[0] == ' ') {
            return Arrays.copyOfRange(bytes, 1, bytes.length);
        }
        return bytes;
    }

    /** The piece of {@code id} as text (byte-fallback pieces as their "<0xNN>" name). */
    public String piece(int id) {
        checkId(id);
        return new String(pieces[id].getBytes(StandardCharsets.ISO_8859_1), StandardCharsets.UTF_8);
    }

    /** The merge score of {@code id}. */
    public float score(int id) {
        checkId(id);
        return scores[id];
    }

    private void checkId(int id) {
        if (id < 0 || id >= pieces.length) {
            throw new IllegalArgumentException("token id " + id + " is outside the " + pieces.length
                    + "-piece vocabulary of " + file);
        }
    }

    @Override
    public int vocabSize() {
        return pieces.length;
    }

    @Override
    public String kind() {
        return "llama2c";
    }

    @Override
    public void close() {
        chunkCache.clear(); // nothing native to free; clearing is idempotent
    }

    @Override
    public String toString() {
        return "Llama2cTokenizer[" + file + ", " + pieces.length + " pieces]";
    }
}
