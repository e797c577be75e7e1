package dev.prunelab.evaluation.zeroshot;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.prunelab.text.tokenizer.TextTokenizer;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** The harness's _encode_pair with a character tokenizer (id = the character's code), so ids are readable. */
class EncodedRequestTest {
    static final int BOS = 1;
    static final int EOS = 2;

    /** One token per character; "th" is one token (id 300), so merges across the seam are visible. */
    static final TextTokenizer CHARS = new TextTokenizer() {
        @Override
        public int[] encode(String text) {
            return text.replace("th", "\u012c").chars().toArray();    // U+012C = 300
        }

        @Override
        public String decode(int[] ids) {
            return new String(ids, 0, ids.length).replace("\u012c", "th");
        }

        @Override
        public byte[] pieceBytes(int previousId, int id) {
            return decode(new int[] {id}).getBytes(StandardCharsets.UTF_8);
        }

        @Override
        public int vocabSize() {
            return 512;
        }

        @Override
        public String kind() {
            return "chars";
        }

        @Override
        public void close() {
        }
    };

    @Test
    void bosThenContextThenContinuationTail() {
        EncodedRequest encoded = EncodedRequest.encode(CHARS, new Request("ab", " c"), BOS, EOS, 100);
        assertArrayEquals(new int[] {BOS, 'a', 'b', ' ', 'c'}, encoded.tokens());
        assertEquals(2, encoded.continuationLength());
        assertArrayEquals(new int[] {BOS, 'a', 'b', ' '}, encoded.input());
    }

    @Test
    void trailingSpaceOfTheContextMovesToTheContinuation() {
        EncodedRequest encoded = EncodedRequest.encode(CHARS, new Request("ab ", "c"), BOS, EOS, 100);
        assertArrayEquals(new int[] {BOS, 'a', 'b', ' ', 'c'}, encoded.tokens());
        assertEquals(2, encoded.continuationLength());
    }

    @Test
    void continuationTokensAreTheTailOfTheWholeEncoding() {
        // "xt" + "he": whole = x, th, e; context alone = x, t; continuation = whole after 2 tokens = e
        EncodedRequest encoded = EncodedRequest.encode(CHARS, new Request("xt", "he"), -1, EOS, 100);
        assertArrayEquals(new int[] {'x', 300, 'e'}, encoded.tokens());
        assertEquals(1, encoded.continuationLength());
    }

    @Test
    void withoutBosAnEmptyContextGetsTheEndOfTextToken() {
        EncodedRequest encoded = EncodedRequest.encode(CHARS, new Request("", "ab"), -1, EOS, 100);
        assertArrayEquals(new int[] {EOS, 'a', 'b'}, encoded.tokens());
        assertArrayEquals(new int[] {'a', 'b'},
                EncodedRequest.encode(CHARS, new Request("a", "b"), -1, EOS, 100).tokens());
    }

    @Test
    void longSequencesKeepTheirLastWindowPlusOne() {
        EncodedRequest encoded = EncodedRequest.encode(CHARS, new Request("abcdefg", " xy"), BOS, EOS, 4);
        assertArrayEquals(new int[] {'f', 'g', ' ', 'x', 'y'}, encoded.tokens());
        assertEquals(3, encoded.continuationLength());
        assertEquals(4, encoded.input().length);
        EncodedRequest longer = EncodedRequest.encode(CHARS, new Request("a", " vwxyz"), BOS, EOS, 4);
        assertArrayEquals(new int[] {'v', 'w', 'x', 'y', 'z'}, longer.tokens());
        assertEquals(4, longer.continuationLength());
    }
}
