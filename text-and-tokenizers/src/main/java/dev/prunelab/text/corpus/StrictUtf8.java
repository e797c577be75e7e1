package dev.prunelab.text.corpus;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Text files read as UTF-8 or refused: a malformed or truncated sequence is a {@link NotUtf8Exception} that names
 * the offset of its first byte, never a replacement character or the JDK's "Input length = 1".
 */
public final class StrictUtf8 {

    private StrictUtf8() {
    }

    /** A file that is not UTF-8, with the offset of the first byte that is not. */
    public static final class NotUtf8Exception extends IOException {
        private static final long serialVersionUID = 1L;

        private final long byteOffset;

        public NotUtf8Exception(long byteOffset) {
            super("not UTF-8 at byte " + byteOffset);
            this.byteOffset = byteOffset;
        }

        /** The offset from the start of the input (0-based) of the first byte of the bad sequence. */
        public long byteOffset() {
            return byteOffset;
        }
    }

    /** The whole file as text. */
    public static String read(Path file) throws IOException {
        return decode(Files.readAllBytes(file));
    }

    /** The bytes as text, or a {@link NotUtf8Exception} at the first malformed, unmappable or truncated sequence. */
    public static String decode(byte[] bytes) throws NotUtf8Exception {
        CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        ByteBuffer in = ByteBuffer.wrap(bytes);
        CharBuffer out = CharBuffer.allocate(bytes.length + 1);
        CoderResult result = decoder.decode(in, out, true);
        if (result.isError()) {
            throw new NotUtf8Exception(in.position());
        }
        result = decoder.flush(out);
        if (result.isError()) {
            throw new NotUtf8Exception(in.position());
        }
        out.flip();
        return out.toString();
    }
}
