package dev.prunelab.pruning.export;

import dev.prunelab.text.corpus.SharedData;
import dev.prunelab.vocabulary.WeightDtype;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * stories260K (the shared data's llama2.c checkpoint) exported as float32 once for a test class, into a temporary
 * directory removed after it. In the test class:
 * <pre>
 * &#64;RegisterExtension
 * static final ExportedStories260K STORIES = new ExportedStories260K();
 * ... STORIES.directory() ...
 * </pre>
 */
public final class ExportedStories260K implements BeforeAllCallback, AfterAllCallback {
    /** The checkpoint, as the shared data holds it. */
    public static final String CHECKPOINT = "models/stories260K/stories260K.bin";

    private Path root;
    private Path directory;

    /** Exports the checkpoint into {@code directory} (created), float32, and returns it. */
    public static Path exportTo(Path directory) {
        DecoderExporter.export(SharedData.path(CHECKPOINT), Optional.empty(), directory, WeightDtype.FLOAT32);
        return directory;
    }

    @Override
    public void beforeAll(ExtensionContext context) throws IOException {
        root = Files.createTempDirectory("stories260K-");
        directory = exportTo(root.resolve("stories"));
    }

    @Override
    public void afterAll(ExtensionContext context) throws IOException {
        if (root == null) {
            return;
        }
        try (Stream<Path> files = Files.walk(root)) {
            for (Path file : (Iterable<Path>) files.sorted(Comparator.reverseOrder())::iterator) {
                Files.deleteIfExists(file);
            }
        }
        root = null;
    }

    /** The exported model's directory (model.onnx, its model card and tokenizer). */
    public Path directory() {
        if (directory == null) {
            throw new IllegalStateException("not exported yet: register the extension as a static field");
        }
        return directory;
    }
}
