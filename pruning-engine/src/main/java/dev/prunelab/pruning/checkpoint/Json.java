package dev.prunelab.pruning.checkpoint;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;

/** The one Jackson mapper of this package: duplicate keys and trailing garbage are errors, not silently accepted. */
final class Json {
    static final ObjectMapper MAPPER = new ObjectMapper()
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .disable(SerializationFeature.FAIL_ON_EMPTY_BEANS);

    private Json() {
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
