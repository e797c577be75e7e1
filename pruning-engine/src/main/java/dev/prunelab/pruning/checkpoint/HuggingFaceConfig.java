package dev.prunelab.pruning.checkpoint;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.prunelab.pruning.family.ConfigFields;
import dev.prunelab.pruning.family.ModelFamilies;
import dev.prunelab.pruning.family.ModelFamily;
import dev.prunelab.pruning.model.DType;
import dev.prunelab.pruning.model.DecoderConfig;
import dev.prunelab.pruning.model.ModelFormatException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Objects;

/**
 * A Hugging Face config.json: the decoder shape plus the special token ids. The model's family (by
 * {@code model_type}) maps Hugging Face field names, and Hugging Face's defaults for absent fields, to its config
 * record and back.
 *
 * @param bosTokenId bos_token_id, -1 if the config has none
 * @param eosTokenId eos_token_id (the first one when it is a list), -1 if none
 */
public record HuggingFaceConfig(DecoderConfig config, int bosTokenId, int eosTokenId) {

    public HuggingFaceConfig {
        Objects.requireNonNull(config, "config");
        if (bosTokenId < -1 || bosTokenId >= config.vocabSize()) {
            throw new IllegalArgumentException("bos_token_id " + bosTokenId + " is outside vocab_size " + config.vocabSize());
        }
        if (eosTokenId < -1 || eosTokenId >= config.vocabSize()) {
            throw new IllegalArgumentException("eos_token_id " + eosTokenId + " is outside vocab_size " + config.vocabSize());
        }
    }

    public static HuggingFaceConfig read(Path configJson) {
        return parse(Json.read(configJson, Json::where), configJson);
    }

    /** @param source the config.json path, named in every error */
    public static HuggingFaceConfig parse(JsonNode root, Path source) {
        if (root == null || !root.isObject()) {
            throw new ModelFormatException(source, "is not a JSON object");
        }
        ConfigFields fields = new ConfigFields(root, source);
        String modelType = fields.requiredString("model_type");
        ModelFamily family;
        try {
            family = ModelFamilies.forModelType(modelType);
        } catch (IllegalArgumentException e) {
            throw new ModelFormatException(source, "field 'model_type': " + e.getMessage());
        }
        try {
            return new HuggingFaceConfig(family.readConfig(fields, modelType),
                    fields.tokenId("bos_token_id", family.defaultBosTokenId()),
                    fields.tokenId("eos_token_id", family.defaultEosTokenId()));
        } catch (ModelFormatException e) {
            throw e;                      // a field's error (ConfigFields#invalid) already names the file
        } catch (IllegalArgumentException e) {
            // The records' own checks name the Hugging Face field; add the file.
            throw new ModelFormatException(source, e.getMessage());
        }
    }

    /** config.json as Hugging Face writes it for this model, with {@code torch_dtype} set to the weights' dtype. */
    public ObjectNode toJson(DType torchDtype) {
        ObjectNode json = Json.MAPPER.createObjectNode();
        ModelFamilies.of(config).writeConfig(config, json);
        putTokenId(json, "bos_token_id", bosTokenId);
        putTokenId(json, "eos_token_id", eosTokenId);
        json.put("torch_dtype", switch (torchDtype) {
            case F32 -> "float32";
            case F16 -> "float16";
            case BF16 -> "bfloat16";
        });
        return json;
    }

    private static void putTokenId(ObjectNode json, String field, int id) {
        if (id < 0) {
            json.putNull(field);
        } else {
            json.put(field, id);
        }
    }

    /** Writes {@link #toJson} pretty-printed, as save_pretrained does. */
    public void write(Path configJson, DType torchDtype) {
        try {
            Files.write(configJson, Json.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsBytes(toJson(torchDtype)));
        } catch (IOException e) {
            throw new UncheckedIOException(configJson + ": cannot write: " + e.getMessage(), e);
        }
    }
}
