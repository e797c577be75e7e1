package dev.prunelab.pruning.checkpoint;

import dev.prunelab.pruning.model.DType;
import dev.prunelab.pruning.model.ModelFormatException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.function.BiFunction;

/**
 * A checkpoint file's channel as llama2.c and safetensors files share it: a missing file is a
 * {@link ModelFormatException}, a file that fails to parse is closed again, reading after closing names the tensor,
 * and closing twice is harmless.
 */
final class TensorFile implements AutoCloseable {
    private final Path file;
    private final FileChannel channel;
    private volatile boolean closed;

    TensorFile(Path file, FileChannel channel) {
        this.file = file;
        this.channel = channel;
    }

    /** Opens the file for reading and parses it; when parsing fails, the channel is closed before the failure goes on. */
    static <T> T open(Path file, BiFunction<Path, FileChannel, T> parse) {
        FileChannel channel;
        try {
            channel = FileChannel.open(file, StandardOpenOption.READ);
        } catch (NoSuchFileException e) {
            throw new ModelFormatException(file, "does not exist");
        } catch (IOException e) {
            throw new UncheckedIOException(file + ": cannot open: " + e.getMessage(), e);
        }
        try {
            return parse.apply(file, channel);
        } catch (RuntimeException | Error e) {
            try {
                channel.close();
            } catch (IOException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }
    }

    /** A tensor's values as float32; {@code name} is only for the messages. */
    float[] readFloats(String name, long offset, DType dtype, long count) {
        if (closed) {
            throw new IllegalStateException(file + ": closed; cannot read tensor '" + name + "'");
        }
        return TensorBytes.readFloats(channel, file, name, offset, dtype, count);
    }

    @Override
    public void close() {
        closed = true;
        try {
            channel.close(); // a channel's close is idempotent: closing twice does nothing
        } catch (IOException e) {
            throw new UncheckedIOException(file + ": cannot close: " + e.getMessage(), e);
        }
    }
}
