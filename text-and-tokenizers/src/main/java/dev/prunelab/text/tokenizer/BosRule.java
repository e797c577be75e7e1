package dev.prunelab.text.tokenizer;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

/**
 * Whether a model's texts start with a BOS token, and which one, as its tokenizer files say and as Hugging Face
 * transformers applies them when it encodes with special tokens:
 * <ol>
 *   <li>{@code tokenizer_config.json}'s {@code add_bos_token}, when it is a boolean, decides (LlamaTokenizer,
 *       GemmaTokenizer, GPT2Tokenizer and, since transformers 4.42, every fast tokenizer rebuild the post-processor
 *       from it); the token is its {@code bos_token} (a string or {"content": ...});</li>
 *   <li>else {@code tokenizer.json}'s {@code post_processor}: a {@code TemplateProcessing} whose single-sequence
 *       template starts with a special token prepends that token (Llama 2/3, Gemma; also inside a {@code Sequence},
 *       as Llama 3.1 writes it), {@code BertProcessing}/{@code RobertaProcessing} prepend their cls token, anything
 *       else ({@code ByteLevel}, null: GPT-2, Qwen) prepends nothing;</li>
 *   <li>else (vocab.json + merges.txt or tokenizer.bin without a tokenizer_config.json saying) the files do not
 *       say, and the caller falls back to config.json's {@code bos_token_id}.</li>
 * </ol>
 * The token's id comes from {@code added_tokens_decoder}, {@code tokenizer.json} (added tokens, then the model's
 * vocabulary) or {@code vocab.json}, never from a list of families.
 *
 * @param tokenId the id prepended to every text, -1 for none
 * @param token   its text ("&lt;s&gt;", "&lt;|begin_of_text|&gt;"), null when unknown or none
 * @param source  which file and field decided, e.g. "tokenizer_config.json add_bos_token"
 */
public record BosRule(int tokenId, String token, String source) {
    private static final ObjectMapper JSON = new ObjectMapper();

    public BosRule {
        if (tokenId < -1) {
            throw new IllegalArgumentException("BOS token id " + tokenId + " is negative");
        }
        if (source == null || source.isBlank()) {
            throw new IllegalArgumentException("a BOS rule names the file that decided it");
        }
    }

    /** No BOS, as {@code source} says. */
    public static BosRule none(String source) {
        return new BosRule(-1, null, source);
    }

    /** config.json's bos_token_id (-1: none): the rule when the tokenizer files do not say. */
    public static BosRule configJson(int bosTokenId) {
        return new BosRule(bosTokenId, null, "config.json bos_token_id");
    }

    public boolean prepends() {
        return tokenId >= 0;
    }

    /** One line for a model card: {@code "<s> (1) prepended: tokenizer_config.json add_bos_token"}. */
    public String describe() {
        if (!prepends()) {
            return "no BOS: " + source;
        }
        return (token == null ? "id " + tokenId : token + " (" + tokenId + ")") + " prepended: " + source;
    }

    /**
     * The rule the tokenizer files at {@code tokenizer} state: a tokenizer.json file or a directory holding one, or
     * a folder with vocab.json (+ merges.txt); {@code tokenizer_config.json} is looked for beside them. Empty when
     * they do not say (no add_bos_token and no tokenizer.json).
     *
     * @throws IllegalArgumentException naming the file when a file is not JSON or names a BOS token that the
     *                                  vocabulary does not hold
     */
    public static Optional<BosRule> fromTokenizerFiles(Path tokenizer) {
        if (tokenizer == null || !Files.exists(tokenizer)) {
            return Optional.empty();
        }
        Path directory = Files.isDirectory(tokenizer) ? tokenizer : tokenizer.toAbsolutePath().getParent();
        Path tokenizerJson = Files.isDirectory(tokenizer) ? tokenizer.resolve("tokenizer.json")
                : tokenizer.getFileName().toString().endsWith(".json") ? tokenizer : null;
        if (tokenizerJson != null && !Files.isRegularFile(tokenizerJson)) {
            tokenizerJson = null;
        }
        Path vocabJson = directory.resolve("vocab.json");
        Vocabulary vocabulary = new Vocabulary(tokenizerJson == null ? null : read(tokenizerJson),
                tokenizerJson, Files.isRegularFile(vocabJson) ? vocabJson : null);

        Path tokenizerConfig = directory.resolve("tokenizer_config.json");
        if (Files.isRegularFile(tokenizerConfig)) {
            JsonNode config = read(tokenizerConfig);
            JsonNode addBos = config.get("add_bos_token");
            if (addBos != null && addBos.isBoolean()) {
                String source = "tokenizer_config.json add_bos_token";
                if (!addBos.booleanValue()) {
                    return Optional.of(none(source + " false"));
                }
                String token = tokenText(config.get("bos_token"));
                if (token == null) {
                    throw new IllegalArgumentException(tokenizerConfig + ": add_bos_token is true but bos_token is "
                            + "not set");
                }
                int id = addedTokenDecoderId(config, token)
                        .or(() -> vocabulary.id(token))
                        .orElseThrow(() -> new IllegalArgumentException(tokenizerConfig + ": bos_token '" + token
                                + "' is not in the vocabulary of " + vocabulary.describe()));
                return Optional.of(new BosRule(id, token, source));
            }
        }
        if (tokenizerJson != null) {
            return Optional.of(postProcessor(tokenizerJson, vocabulary.tokenizerJson.get("post_processor"),
                    "tokenizer.json post_processor"));
        }
        return Optional.empty();
    }

    /** What {@code post_processor} prepends to a single sequence. */
    private static BosRule postProcessor(Path file, JsonNode processor, String source) {
        String at = source.endsWith("/") ? source : source + " ";   // "... post_processor Sequence/TemplateProcessing"
        if (processor == null || processor.isNull()) {
            return none(at + "null");
        }
        String type = processor.path("type").asText("");
        switch (type) {
            case "Sequence" -> {
                // Llama 3.1: [ByteLevel, TemplateProcessing]; the first processor that prepends a token decides
                for (JsonNode inner : processor.path("processors")) {
                    BosRule rule = postProcessor(file, inner, at + "Sequence/");
                    if (rule.prepends()) {
                        return rule;
                    }
                }
                return none(at + "Sequence without a leading special token");
            }
            case "TemplateProcessing" -> {
                JsonNode first = processor.path("single").path(0);
                JsonNode special = first.get("SpecialToken");
                if (special == null) {
                    return none(at + "TemplateProcessing starting with the sequence");
                }
                String token = special.path("id").asText();
                JsonNode ids = processor.path("special_tokens").path(token).path("ids");
                if (!ids.isArray() || ids.size() != 1 || !ids.get(0).canConvertToInt()) {
                    throw new IllegalArgumentException(file + ": post_processor special_tokens['" + token
                            + "'] does not give exactly one id");
                }
                return new BosRule(ids.get(0).intValue(), token, at + "TemplateProcessing");
            }
            case "BertProcessing", "RobertaProcessing" -> {
                JsonNode cls = processor.path("cls");
                if (!cls.isArray() || cls.size() != 2 || !cls.get(1).canConvertToInt()) {
                    throw new IllegalArgumentException(file + ": post_processor " + type + " has no [token, id] cls");
                }
                return new BosRule(cls.get(1).intValue(), cls.get(0).asText(), at + type);
            }
            default -> {
                return none(at + (type.isEmpty() ? "without a type" : type));
            }
        }
    }

    /** A special-token field: "&lt;s&gt;", {"content": "&lt;s&gt;", ...} (older files), or null. */
    private static String tokenText(JsonNode node) {
        if (node == null || node.isNull()) {
            return null;
        }
        if (node.isTextual()) {
            return node.asText();
        }
        JsonNode content = node.get("content");
        return content != null && content.isTextual() ? content.asText() : null;
    }

    private static Optional<Integer> addedTokenDecoderId(JsonNode config, String token) {
        for (Map.Entry<String, JsonNode> entry : config.path("added_tokens_decoder").properties()) {
            if (token.equals(entry.getValue().path("content").asText(null))) {
                try {
                    return Optional.of(Integer.parseInt(entry.getKey()));
                } catch (NumberFormatException e) {
                    return Optional.empty();
                }
            }
        }
        return Optional.empty();
    }

    private static JsonNode read(Path file) {
        try {
            JsonNode root = JSON.readTree(file.toFile());
            if (root == null || !root.isObject()) {
                throw new IllegalArgumentException(file + " is not a JSON object");
            }
            return root;
        } catch (IOException e) {
            // where, not what: Jackson's message quotes the bytes it read
            String where = e instanceof JsonProcessingException p && p.getLocation() != null
                    ? " at line " + p.getLocation().getLineNr() + ", column " + p.getLocation().getColumnNr() : "";
            throw new IllegalArgumentException(file + " is not valid JSON" + where, e);
        }
    }

    /** Token text to id through tokenizer.json (added tokens, then the model's vocab) or vocab.json. */
    private record Vocabulary(JsonNode tokenizerJson, Path tokenizerJsonFile, Path vocabJson) {
        Optional<Integer> id(String token) {
            if (tokenizerJson != null) {
                for (JsonNode added : tokenizerJson.path("added_tokens")) {
                    if (token.equals(added.path("content").asText(null)) && added.path("id").canConvertToInt()) {
                        return Optional.of(added.path("id").intValue());
                    }
                }
                JsonNode vocab = tokenizerJson.path("model").path("vocab");
                if (vocab.isObject() && vocab.path(token).canConvertToInt()) {
                    return Optional.of(vocab.path(token).intValue());
                }
                if (vocab.isArray()) {   // Unigram: [[piece, score], ...], the id is the position
                    for (int i = 0; i < vocab.size(); i++) {
                        if (token.equals(vocab.get(i).path(0).asText(null))) {
                            return Optional.of(i);
                        }
                    }
                }
            }
            if (vocabJson != null) {
                JsonNode vocab = read(vocabJson);
                if (vocab.path(token).canConvertToInt()) {
                    return Optional.of(vocab.path(token).intValue());
                }
            }
            return Optional.empty();
        }

        String describe() {
            return tokenizerJsonFile != null ? tokenizerJsonFile.toString()
                    : vocabJson != null ? vocabJson.toString() : "the tokenizer (no tokenizer.json or vocab.json)";
        }
    }
}
