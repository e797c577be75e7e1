package dev.prunelab.evaluation.runtime;

import dev.prunelab.modelformat.CompressedWeights;
import dev.prunelab.modelformat.DecoderIo;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.logging.Logger;

/**
 * A temporary expansion of compressed weights (model.onnx.data.sparse): ONNX Runtime reads only plain external
 * data, so the graph is loaded from a copy next to the expanded data, removed when the session closes.
 */
final class ExpandedWeights {
    private static final Logger LOG = Logger.getLogger(ExpandedWeights.class.getName());

    private ExpandedWeights() {
    }

    /** A new temporary directory holding the graph and its weights expanded. */
    static Path expand(Path directory) {
        try {
            Path expanded = Files.createTempDirectory("prunelab-expanded-");
            CompressedWeights.expand(directory, expanded);
            return expanded;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot expand " + directory.resolve(DecoderIo.COMPRESSED_DATA_FILE)
                    + ": " + e.getMessage(), e);
        }
    }

    /** Removes the expansion; a failure is logged, not thrown (the session is closed either way). */
    static void remove(Path expanded) {
        try (var files = Files.list(expanded)) {
            for (Path file : (Iterable<Path>) files::iterator) {
                Files.deleteIfExists(file);
            }
            Files.deleteIfExists(expanded);
        } catch (IOException e) {
            LOG.warning("cannot remove the expanded weights in " + expanded + ": " + e.getMessage());
        }
    }
}
