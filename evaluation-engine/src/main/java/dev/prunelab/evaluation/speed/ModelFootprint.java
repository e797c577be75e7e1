package dev.prunelab.evaluation.speed;

import dev.prunelab.modelformat.DecoderIo;
import dev.prunelab.modelformat.ModelCard;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * What a model costs at rest.
 *
 * @param sizeBytes             model.onnx plus model.onnx.data when present
 * @param parameterCount        from the model card
 * @param nonZeroParameterCount from the model card; null when the card predates the field
 */
public record ModelFootprint(long sizeBytes, long parameterCount, Long nonZeroParameterCount) {

    public static ModelFootprint of(Path modelDirectory, ModelCard card) {
        long size = 0;
        for (String name : new String[] {DecoderIo.MODEL_FILE, DecoderIo.EXTERNAL_DATA_FILE}) {
            Path file = modelDirectory.resolve(name);
            try {
                if (Files.isRegularFile(file)) {
                    size += Files.size(file);
                }
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read the size of " + file, e);
            }
        }
        return new ModelFootprint(size, card.parameterCount(), card.nonZeroParameterCount());
    }
}
