package dev.prunelab.text.tokenizer;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.prunelab.text.corpus.SharedData;
import org.junit.jupiter.api.Test;

class StreamingDecoderTest {

    @Test
    void holdsBackPartialCharactersUntilComplete() {
        try (TextTokenizer tok = TextTokenizer.open(SharedData.path("models/stories260K/tok512.bin"))) {
            String text = "Hi 😀 é!";
            int[] ids = tok.encode(text);
            StreamingDecoder decoder = new StreamingDecoder(tok, Llama2cTokenizer.BOS_ID);
            StringBuilder out = new StringBuilder();
            for (int id : ids) {
                String piece = decoder.push(id);
                // Never a replacement char: split emoji bytes wait for the rest of the character.
                assertEquals(-1, piece.indexOf('\uFFFD'), "piece for id " + id);
                out.append(piece);
            }
            out.append(decoder.finish());
            assertEquals(text, out.toString());
        }
    }

    @Test
    void emojiBytesAppearOnlyWithTheLastByte() {
        try (TextTokenizer tok = TextTokenizer.open(SharedData.path("models/stories260K/tok512.bin"))) {
            StreamingDecoder decoder = new StreamingDecoder(tok, 403);
            assertEquals("", decoder.push(0xF0 + 3));
            assertEquals("", decoder.push(0x9F + 3));
            assertEquals("", decoder.push(0x98 + 3));
            assertEquals("😀", decoder.push(0x80 + 3));
        }
    }

    @Test
    void unfinishedCharacterIsFlushedAsReplacement() {
        try (TextTokenizer tok = TextTokenizer.open(SharedData.path("models/stories260K/tok512.bin"))) {
            StreamingDecoder decoder = new StreamingDecoder(tok, 403);
            assertEquals("", decoder.push(0xF0 + 3));
            assertEquals("\uFFFD", decoder.finish());
            assertEquals("", decoder.finish());
        }
    }

    @Test
    void gpt2StreamRebuildsMultiByteText() {
        try (TextTokenizer tok = TextTokenizer.open(SharedData.path("tokenizers/gpt2"))) {
            String text = "Café 😀 ünïcödé — “quotes”";
            StreamingDecoder decoder = new StreamingDecoder(tok, -1);
            StringBuilder out = new StringBuilder();
            for (int id : tok.encode(text)) {
                out.append(decoder.push(id));
            }
            out.append(decoder.finish());
            assertEquals(text, out.toString());
        }
    }

    @Test
    void completePrefixLengthFindsCharacterBoundaries() {
        byte[] bytes = {'a', (byte) 0xC3, (byte) 0xA9, (byte) 0xE2, (byte) 0x80};
        assertEquals(1, StreamingDecoder.completePrefixLength(bytes, 2));
        assertEquals(3, StreamingDecoder.completePrefixLength(bytes, 3));
        assertEquals(3, StreamingDecoder.completePrefixLength(bytes, 5));
        // A stray continuation byte can never complete: emit it (as U+FFFD) rather than wait forever.
        assertEquals(1, StreamingDecoder.completePrefixLength(new byte[] {(byte) 0x80}, 1));
    }
}
