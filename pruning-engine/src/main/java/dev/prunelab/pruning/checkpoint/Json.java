package dev.prunelab.pruning.checkpoint;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.prunelab.pruning.model.ModelFormatException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.function.Function;

/** The one Jackson mapper of this package: duplicate keys and trailing garbage are errors, not silently accepted. */
final class Json {
    static final ObjectMapper MAPPER = new ObjectMapper()
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .disable(SerializationFeature.FAIL_ON_EMPTY_BEANS);

    private Json() {
    }

    /**
     * A JSON file's tree: a missing file or one that does not parse is a {@link ModelFormatException}, whose
     * "is not valid JSON" the caller's {@code reason} continues.
     */
    static JsonNode read(Path file, Function<JsonProcessingException, String> reason) {
        try {
            return MAPPER.readTree(Files.readAllBytes(file));
        } catch (NoSuchFileException e) {
            throw new ModelFormatException(file, "does not exist");
        } catch (JsonProcessingException e) {
            throw new ModelFormatException(file, "is not valid JSON" + reason.apply(e), e);
        } catch (IOException e) {
            throw new UncheckedIOException(file + ": cannot read: " + e.getMessage(), e);
        }
    }

    /**
     * Where a parse failed (" at line L, column C"), for a reason that must not echo the file: Jackson's own
     * message quotes the bytes it could not read.
     */
    static String where(IOException e) {
        String where = "";
        if (e instanceof JsonProcessingException json && json.getLocation() != null
                && json.getLocation().getLineNr() > 0) {
            where = " at line " + json.getLocation().getLineNr() + ", column " + json.getLocation().getColumnNr();
        }
        boolean duplicate = e.getMessage() != null && e.getMessage().startsWith("Duplicate field");
        return where + (duplicate ? ": Duplicate field" : "");
    }
}
