package dev.prunelab.text.corpus;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.prunelab.text.corpus.StrictUtf8.NotUtf8Exception;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StrictUtf8Test {

    private static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] part : parts) {
            out.writeBytes(part);
        }
        return out.toByteArray();
    }

    private static long offsetOf(byte[] bytes) {
        return assertThrows(NotUtf8Exception.class, () -> StrictUtf8.decode(bytes)).byteOffset();
    }

    @Test
    void utf8IsReadAsIs(@TempDir Path dir) throws Exception {
        String text = "Once upon a time, Zoë saw a 🐉.\nThe end.";
        Path file = Files.writeString(dir.resolve("ok.txt"), text, StandardCharsets.UTF_8);
        assertEquals(text, StrictUtf8.read(file));
        assertEquals("", StrictUtf8.decode(new byte[0]));
    }

    @Test
    void theFirstBadByteIsNamed(@TempDir Path dir) throws Exception {
        byte[] prefix = "a".repeat(1234).getBytes(StandardCharsets.US_ASCII);
        // a lone continuation byte
        assertEquals(1234, offsetOf(concat(prefix, new byte[] {(byte) 0x80}, "tail".getBytes(StandardCharsets.US_ASCII))));
        // Latin-1 é (0xE9) followed by ASCII: a 3-byte lead without its continuation bytes
        assertEquals(3, offsetOf(concat("caf".getBytes(StandardCharsets.US_ASCII), new byte[] {(byte) 0xE9, 'x'})));
        // multi-byte characters before the bad byte count as their bytes, not as characters
        assertEquals(6, offsetOf(concat("ëë".getBytes(StandardCharsets.UTF_8), new byte[] {'x', 'y', (byte) 0xFF})));
        // overlong encoding of '/' and a surrogate encoded in UTF-8 are not UTF-8
        assertEquals(1, offsetOf(new byte[] {'a', (byte) 0xC0, (byte) 0xAF}));
        assertEquals(0, offsetOf(new byte[] {(byte) 0xED, (byte) 0xA0, (byte) 0x80}));
        // truncated at the end of the input
        assertEquals(2, offsetOf(new byte[] {'o', 'k', (byte) 0xE2, (byte) 0x82}));
        // a binary file, as the message callers show
        Path binary = Files.write(dir.resolve("model.bin"), concat(prefix, new byte[] {(byte) 0x9C, 0, 1, 2}));
        NotUtf8Exception e = assertThrows(NotUtf8Exception.class, () -> StrictUtf8.read(binary));
        assertEquals("not UTF-8 at byte 1234", e.getMessage());
    }
}
