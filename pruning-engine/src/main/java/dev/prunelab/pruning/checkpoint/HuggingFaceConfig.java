package dev.prunelab.pruning.checkpoint;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.prunelab.pruning.model.DType;
import dev.prunelab.pruning.model.DecoderConfig;
import dev.prunelab.pruning.model.Family;
import dev.prunelab.pruning.model.Gpt2Config;
import dev.prunelab.pruning.model.LlamaConfig;
import dev.prunelab.pruning.model.ModelFormatException;
import dev.prunelab.pruning.model.OptConfig;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Objects;

/**
 * A Hugging Face config.json: the decoder shape plus the special token ids. This is the one place where
 * Hugging Face field names (and Hugging Face's defaults for absent fields) are mapped to the Java records,
 * in both directions.
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
        JsonNode root;
        try {
            root = Json.MAPPER.readTree(Files.readAllBytes(configJson));
        } catch (NoSuchFileException e) {
            throw new ModelFormatException(configJson, "does not exist");
        } catch (JsonProcessingException e) {
            throw new ModelFormatException(configJson, "is not valid JSON: " + e.getOriginalMessage(), e);
        } catch (IOException e) {
            throw new UncheckedIOException(configJson + ": cannot read: " + e.getMessage(), e);
        }
        return parse(root, configJson);
    }

    /** @param source the config.json path, named in every error */
    public static HuggingFaceConfig parse(JsonNode root, Path source) {
        if (root == null || !root.isObject()) {
            throw new ModelFormatException(source, "is not a JSON object");
        }
        Fields fields = new Fields(root, source);
        String modelType = fields.requiredString("model_type");
        Family family;
        try {
            family = Family.fromModelType(modelType);
        } catch (IllegalArgumentException e) {
            throw new ModelFormatException(source, "field 'model_type': " + e.getMessage());
        }
        try {
            return switch (family) {
                case LLAMA -> llama(fields, modelType);
                case OPT -> opt(fields);
                case GPT2 -> gpt2(fields);
            };
        } catch (IllegalArgumentException e) {
            // The records' own checks name the Hugging Face field; add the file.
            throw new ModelFormatException(source, e.getMessage());
        }
    }

    private static HuggingFaceConfig llama(Fields f, String modelType) {
        JsonNode ropeScaling = f.root.get("rope_scaling");
        if (ropeScaling != null && !ropeScaling.isNull()) {
            JsonNode type = ropeScaling.isObject()
                    ? (ropeScaling.hasNonNull("rope_type") ? ropeScaling.get("rope_type") : ropeScaling.get("type"))
                    : null;
            if (type == null || !"default".equals(type.asText())) {
                throw new ModelFormatException(f.source, "field 'rope_scaling': " + ropeScaling
                        + " is not supported (only unscaled rotary embeddings)");
            }
        }
        int hidden = f.requiredInt("hidden_size");
        int heads = f.requiredInt("num_attention_heads");
        int headDim;
        if (f.has("head_dim")) {
            headDim = f.requiredInt("head_dim");
        } else {
            if (heads <= 0 || hidden % heads != 0) {
                throw new ModelFormatException(f.source, "field 'head_dim' is absent and hidden_size " + hidden
                        + " is not a multiple of num_attention_heads " + heads);
            }
            headDim = hidden / heads;
        }
        // Qwen2's q/k/v projections always carry biases; its config has no attention_bias field.
        boolean attentionBias = "qwen2".equals(modelType) || f.optionalBoolean("attention_bias", false);
        LlamaConfig config = new LlamaConfig(modelType,
                f.requiredInt("vocab_size"),
                hidden,
                f.requiredInt("intermediate_size"),
                f.requiredInt("num_hidden_layers"),
                heads,
                f.optionalInt("num_key_value_heads", heads),
                headDim,
                f.requiredInt("max_position_embeddings"),
                f.optionalDouble("rms_norm_eps", 1e-6),
                f.optionalDouble("rope_theta", 10000.0),
                f.optionalBoolean("tie_word_embeddings", false),
                attentionBias,
                f.optionalBoolean("mlp_bias", false));
        return new HuggingFaceConfig(config, f.tokenId("bos_token_id", 1), f.tokenId("eos_token_id", 2));
    }

    private static HuggingFaceConfig opt(Fields f) {
        int hidden = f.requiredInt("hidden_size");
        OptConfig config = new OptConfig(
                f.requiredInt("vocab_size"),
                hidden,
                f.requiredInt("ffn_dim"),
                f.requiredInt("num_hidden_layers"),
                f.requiredInt("num_attention_heads"),
                f.requiredInt("max_position_embeddings"),
                f.optionalInt("word_embed_proj_dim", hidden),
                f.optionalBoolean("do_layer_norm_before", true),
                f.optionalBoolean("_remove_final_layer_norm", false),
                f.optionalBoolean("enable_bias", true),
                f.optionalString("activation_function", "relu"),
                1e-5); // OPT's config has no epsilon field; the model uses nn.LayerNorm's default
        return new HuggingFaceConfig(config, f.tokenId("bos_token_id", 2), f.tokenId("eos_token_id", 2));
    }

    private static HuggingFaceConfig gpt2(Fields f) {
        if (f.optionalBoolean("scale_attn_by_inverse_layer_idx", false)) {
            throw new ModelFormatException(f.source, "field 'scale_attn_by_inverse_layer_idx': true is not supported");
        }
        if (!f.optionalBoolean("scale_attn_weights", true)) {
            throw new ModelFormatException(f.source, "field 'scale_attn_weights': false is not supported");
        }
        int hidden = f.requiredInt("n_embd");
        int inner = f.has("n_inner") ? f.requiredInt("n_inner") : Math.multiplyExact(4, hidden);
        Gpt2Config config = new Gpt2Config(
                f.requiredInt("vocab_size"),
                hidden,
                inner,
                f.requiredInt("n_layer"),
                f.requiredInt("n_head"),
                f.requiredInt("n_positions"),
                f.optionalDouble("layer_norm_epsilon", 1e-5),
                f.optionalString("activation_function", "gelu_new"));
        return new HuggingFaceConfig(config, f.tokenId("bos_token_id", 50256), f.tokenId("eos_token_id", 50256));
    }

    /** config.json as Hugging Face writes it for this model, with {@code torch_dtype} set to the weights' dtype. */
    public ObjectNode toJson(DType torchDtype) {
        ObjectNode json = Json.MAPPER.createObjectNode();
        if (config instanceof LlamaConfig c) {
            json.putArray("architectures").add(switch (c.modelType()) {
                case "mistral" -> "MistralForCausalLM";
                case "qwen2" -> "Qwen2ForCausalLM";
                default -> "LlamaForCausalLM";
            });
            json.put("model_type", c.modelType());
            json.put("vocab_size", c.vocabSize());
            json.put("hidden_size", c.hiddenSize());
            json.put("intermediate_size", c.intermediateSize());
            json.put("num_hidden_layers", c.numLayers());
            json.put("num_attention_heads", c.numHeads());
            json.put("num_key_value_heads", c.numKvHeads());
            json.put("head_dim", c.headDim());
            json.put("max_position_embeddings", c.contextLength());
            json.put("hidden_act", "silu");
            json.put("rms_norm_eps", c.rmsNormEps());
            json.put("rope_theta", c.ropeTheta());
            json.putNull("rope_scaling");
            json.put("tie_word_embeddings", c.tieWordEmbeddings());
            json.put("attention_bias", c.attentionBias());
            json.put("mlp_bias", c.mlpBias());
        } else if (config instanceof OptConfig c) {
            json.putArray("architectures").add("OPTForCausalLM");
            json.put("model_type", "opt");
            json.put("vocab_size", c.vocabSize());
            json.put("hidden_size", c.hiddenSize());
            json.put("ffn_dim", c.ffnDim());
            json.put("num_hidden_layers", c.numLayers());
            json.put("num_attention_heads", c.numHeads());
            json.put("max_position_embeddings", c.contextLength());
            json.put("word_embed_proj_dim", c.wordEmbedProjDim());
            json.put("do_layer_norm_before", c.layerNormBefore());
            json.put("_remove_final_layer_norm", c.removeFinalLayerNorm());
            json.put("enable_bias", c.enableBias());
            json.put("layer_norm_elementwise_affine", true);
            json.put("activation_function", c.activation());
            json.put("tie_word_embeddings", true);
        } else if (config instanceof Gpt2Config c) {
            json.putArray("architectures").add("GPT2LMHeadModel");
            json.put("model_type", "gpt2");
            json.put("vocab_size", c.vocabSize());
            json.put("n_embd", c.hiddenSize());
            json.put("n_layer", c.numLayers());
            json.put("n_head", c.numHeads());
            json.put("n_positions", c.contextLength());
            json.put("n_ctx", c.contextLength());
            json.put("n_inner", c.innerSize());
            json.put("layer_norm_epsilon", c.layerNormEps());
            json.put("activation_function", c.activation());
            json.put("scale_attn_weights", true);
            json.put("scale_attn_by_inverse_layer_idx", false);
            json.put("tie_word_embeddings", true);
        }
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

    /** Typed reads of config.json fields; JSON null counts as absent, as in Hugging Face's config classes. */
    private static final class Fields {
        final JsonNode root;
        final Path source;

        Fields(JsonNode root, Path source) {
            this.root = root;
            this.source = source;
        }

        boolean has(String field) {
            return root.hasNonNull(field);
        }

        private ModelFormatException wrongType(String field, String expected) {
            return new ModelFormatException(source, "field '" + field + "' must be " + expected + ", was "
                    + root.get(field));
        }

        int requiredInt(String field) {
            if (!has(field)) {
                throw new ModelFormatException(source, "field '" + field + "' is missing");
            }
            JsonNode node = root.get(field);
            if (!node.isIntegralNumber() || !node.canConvertToInt()) {
                throw wrongType(field, "a 32-bit integer");
            }
            return node.intValue();
        }

        int optionalInt(String field, int defaultValue) {
            return has(field) ? requiredInt(field) : defaultValue;
        }

        double optionalDouble(String field, double defaultValue) {
            if (!has(field)) {
                return defaultValue;
            }
            JsonNode node = root.get(field);
            if (!node.isNumber()) {
                throw wrongType(field, "a number");
            }
            return node.doubleValue();
        }

        boolean optionalBoolean(String field, boolean defaultValue) {
            if (!has(field)) {
                return defaultValue;
            }
            JsonNode node = root.get(field);
            if (!node.isBoolean()) {
                throw wrongType(field, "true or false");
            }
            return node.booleanValue();
        }

        String requiredString(String field) {
            if (!has(field)) {
                throw new ModelFormatException(source, "field '" + field + "' is missing");
            }
            JsonNode node = root.get(field);
            if (!node.isTextual()) {
                throw wrongType(field, "a string");
            }
            return node.textValue();
        }

        String optionalString(String field, String defaultValue) {
            return has(field) ? requiredString(field) : defaultValue;
        }

        /** Token ids may be an int or (Llama 3's eos) a list of ints, of which the first is used. */
        int tokenId(String field, int defaultValue) {
            if (!root.has(field)) {
                return defaultValue;
            }
            JsonNode node = root.get(field);
            if (node.isNull()) {
                return -1;
            }
            if (node.isArray()) {
                if (node.isEmpty()) {
                    return -1;
                }
                node = node.get(0);
            }
            if (!node.isIntegralNumber() || !node.canConvertToInt() || node.intValue() < 0) {
                throw wrongType(field, "a non-negative integer or a list of them");
            }
            return node.intValue();
        }
    }
}
