package dev.prunelab.modelformat;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * The small JSON written next to an exported graph ({@value DecoderIo#MODEL_CARD_FILE}) so an evaluator
 * needs nothing else: what the model is, how wide it is, which tokenizer file to load, where its weights came
 * from. Versioned: readers refuse a schema they do not know.
 *
 * @param tokenizerFile  tokenizer file or directory name relative to the model directory
 * @param tokenizerKind  "llama2c" (tokenizer.bin), "gpt2-bpe" (vocab.json + merges.txt), "hf-json" (tokenizer.json)
 * @param bosTokenId     the id prepended to every text, or -1 when the family prepends none
 * @param nonZeroParameterCount weights that are not exactly zero (pruning zeros them; dense storage keeps them); null
 *                       in cards written before the field
 * @param weightDtype    "float32" or "float16": how the graph's initializers are stored
 * @param weightStorage  {@value #STORAGE_INLINE} (in model.onnx), {@value #STORAGE_EXTERNAL} (model.onnx.data) or
 *                       {@value #STORAGE_EXTERNAL_SPARSE} (model.onnx.data.sparse, zeros skipped; expanded by the
 *                       evaluator before loading: disk and download shrink, ONNX Runtime still holds dense weights)
 * @param expandedWeightBytes size of model.onnx.data as ONNX Runtime reads it; 0 for inline weights
 * @param sourceSha256   sha256 over the source weight files, in the order listed
 * @param linearQuantization how the blocks' linear layers are quantized; absent (null) when they are float
 * @param cacheInterface the graph's KV-cache contract, {@link CacheInterface#id()} ("in-place" or "growing");
 *                       absent in cards written before the in-place cache (their graphs are refused at open)
 * @param bosRule        which file and field chose {@code bosTokenId}, e.g. "&lt;s&gt; (1) prepended:
 *                       tokenizer_config.json add_bos_token" or "no BOS: tokenizer.json post_processor ByteLevel";
 *                       absent in older cards
 *
 * <p>The card holds no timestamp, so the same source exported twice gives byte-identical directories.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonIgnoreProperties(ignoreUnknown = true)
public record ModelCard(
        int schemaVersion,
        String family,
        String modelType,
        int vocabSize,
        int hiddenSize,
        int numLayers,
        int numHeads,
        int numKvHeads,
        int headDim,
        int contextLength,
        long parameterCount,
        Long nonZeroParameterCount,
        String weightDtype,
        String weightStorage,
        long expandedWeightBytes,
        String tokenizerFile,
        String tokenizerKind,
        int bosTokenId,
        int eosTokenId,
        String sourcePath,
        List<String> sourceWeightFiles,
        String sourceSha256,
        LinearQuantization linearQuantization,
        String cacheInterface,
        String bosRule) {

    /** The card's cache contract, or empty for a card written before the lab named it (an older export). */
    public Optional<CacheInterface> cache() {
        return cacheInterface == null ? Optional.empty() : Optional.of(CacheInterface.of(cacheInterface));
    }

    /**
     * How the decoder blocks' linear layers are stored when they are quantized (absent for float layers).
     *
     * @param operator      the ONNX operator that multiplies them, "com.microsoft.MatMulNBits"
     * @param symmetric     true: no zero points are stored (the op's default 8 for 4 bits); false: one zero point per
     *                      block in the op's zero_points input (--weight-quantizer rtn-asymmetric); 0 stays exactly 0
     *                      either way
     * @param scaleType     "float32" or "float16"
     * @param accuracyLevel the node's {@code accuracy_level} (4: the CPU provider multiplies int8-quantized
     *                      activations; the level every evaluation of this model ran with)
     * @param quantizer     "rtn" (round to nearest)
     * @param floatModules  linear modules kept float among the quantized ones (a weight budget's search kept their
     *                      blocks float); absent when every linear module is quantized
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record LinearQuantization(String operator, int bits, int blockSize, boolean symmetric, String scaleType,
            int accuracyLevel, String quantizer, List<String> floatModules) {
        /** Every linear module quantized. */
        public LinearQuantization(String operator, int bits, int blockSize, boolean symmetric, String scaleType,
                int accuracyLevel, String quantizer) {
            this(operator, bits, blockSize, symmetric, scaleType, accuracyLevel, quantizer, null);
        }
    }

    public static final int SCHEMA_VERSION = 1;
    public static final String STORAGE_INLINE = "inline";
    public static final String STORAGE_EXTERNAL = "external";
    public static final String STORAGE_EXTERNAL_SPARSE = "external-sparse";

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    public ModelCard {
        if (schemaVersion != SCHEMA_VERSION) {
            throw new IllegalArgumentException("model card schemaVersion " + schemaVersion
                    + " is not supported (this build reads " + SCHEMA_VERSION + ")");
        }
        if (numLayers <= 0 || vocabSize <= 0 || numHeads <= 0 || numKvHeads <= 0 || headDim <= 0) {
            throw new IllegalArgumentException("model card has non-positive dimensions");
        }
    }

    public void write(Path modelDirectory) {
        try {
            JSON.writeValue(modelDirectory.resolve(DecoderIo.MODEL_CARD_FILE).toFile(), this);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + modelDirectory.resolve(DecoderIo.MODEL_CARD_FILE), e);
        }
    }

    /** Reads the card of an exported model directory; a missing or malformed card is an error naming the file. */
    public static ModelCard read(Path modelDirectory) {
        Path file = modelDirectory.resolve(DecoderIo.MODEL_CARD_FILE);
        try {
            return JSON.readValue(Files.readAllBytes(file), ModelCard.class);
        } catch (NoSuchFileException e) {
            throw new IllegalArgumentException(file + ": no model card; is " + modelDirectory
                    + " a directory written by './lab export'?", e);
        } catch (JsonProcessingException e) {
            if (e.getCause() instanceof IllegalArgumentException refused) {
                throw new IllegalArgumentException(file + ": " + refused.getMessage(), e); // the card's own checks
            }
            // never Jackson's own message: it quotes the bytes it read, and the card may not be a card at all
            String where = e.getLocation() == null || e.getLocation().getLineNr() <= 0 ? ""
                    : " at line " + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr();
            throw new IllegalArgumentException(file + ": malformed model card (not valid JSON, or not the card's "
                    + "fields and types)" + where, e);
        } catch (IOException e) {
            throw new IllegalArgumentException(file + ": cannot read the model card: " + e.getMessage(), e);
        }
    }
}
