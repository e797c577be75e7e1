package dev.prunelab.pruning.reference;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A test-only reading of a llama2.c tokenizer.bin (int max_token_length; per piece: float score, int len,
 * bytes) with run.c's encode (dummy-prefix space, per-character lookup with byte fallback to id byte+3,
 * then greedy best-score pair merges) and decode (strip the leading space after BOS, "&lt;0xHH&gt;" pieces are
 * raw bytes). Independent of the tokenizer module, so the oracle test does not wait for it.
 */
final class Llama2cVocab {
    static final int BOS = 1;

    private final byte[][] pieces;
    private final float[] scores;
    private final Map<String, Integer> ids = new HashMap<>();

    Llama2cVocab(Path file, int vocabSize) throws IOException {
        ByteBuffer in = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN);
        in.getInt(); // max_token_length
        pieces = new byte[vocabSize][];
        scores = new float[vocabSize];
        for (int i = 0; i < vocabSize; i++) {
            scores[i] = in.getFloat();
            pieces[i] = new byte[in.getInt()];
            in.get(pieces[i]);
            ids.putIfAbsent(new String(pieces[i], StandardCharsets.UTF_8), i);
        }
    }

    String piece(int id) {
        return new String(pieces[id], StandardCharsets.UTF_8);
    }

    /** run.c encode(text, bos=1, eos=0). */
    int[] encodeWithBos(String text) {
        List<Integer> tokens = new ArrayList<>();
        tokens.add(BOS);
        if (!text.isEmpty()) {
            tokens.add(ids.get(" "));
        }
        text.codePoints().forEach(cp -> {
            String ch = new String(Character.toChars(cp));
            Integer id = ids.get(ch);
            if (id != null) {
                tokens.add(id);
            } else {
                for (byte b : ch.getBytes(StandardCharsets.UTF_8)) {
                    tokens.add((b & 0xff) + 3);
                }
            }
        });
        while (true) {
            float bestScore = Float.NEGATIVE_INFINITY;
            int bestId = -1;
            int bestIndex = -1;
            for (int i = 1; i + 1 < tokens.size(); i++) { // index 0 is BOS, never merged
                Integer id = ids.get(piece(tokens.get(i)) + piece(tokens.get(i + 1)));
                if (id != null && scores[id] > bestScore) {
                    bestScore = scores[id];
                    bestId = id;
                    bestIndex = i;
                }
            }
            if (bestIndex < 0) {
                break;
            }
            tokens.set(bestIndex, bestId);
            tokens.remove(bestIndex + 1);
        }
        return tokens.stream().mapToInt(Integer::intValue).toArray();
    }

    /** run.c decode, over a whole sequence whose previous token is {@code previous}. */
    String decode(int previous, int[] tokens) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (int token : tokens) {
            byte[] piece = pieces[token];
            String text = piece(token);
            if (previous == BOS && piece.length > 0 && piece[0] == ' ') {
                piece = java.util.Arrays.copyOfRange(piece, 1, piece.length);
            }
            if (text.matches("<0x[0-9A-F]{2}>")) {
                out.write(Integer.parseInt(text.substring(3, 5), 16));
            } else {
                out.writeBytes(piece);
            }
            previous = token;
        }
        return out.toString(StandardCharsets.UTF_8);
    }
}
