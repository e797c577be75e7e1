package dev.prunelab.evaluation.zeroshot;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.prunelab.vocabulary.InvalidSetting;
import dev.prunelab.vocabulary.ZeroShotTaskName;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * The nine shipped zero-shot tasks, read from their flat files in {@code ../shared/data/eval/} and turned into
 * the same (context, continuation) requests lm-evaluation-harness builds from the original data sets. The
 * target delimiter is the harness default " ", so every continuation starts with it. Per task:
 *
 * <ul>
 * <li>lambada_openai: context = "context" (the passage without its last word), continuation = " " + last word.
 *     Metrics: greedy accuracy and perplexity of the target (harness {@code lambada_openai}).</li>
 * <li>hellaswag: 6-line records (context, gold 0-3, four endings). context = preprocess(line 1) (the file's
 *     first line is already the harness query "activity_label: ctx_a ctx_b", but ctx_b's first letter is not
 *     capitalized as the harness does, because the file no longer separates ctx_a from ctx_b);
 *     continuation = " " + preprocess(ending), preprocess = the harness's (strip, " [title]" to ". ",
 *     drop [brackets], collapse double spaces).</li>
 * <li>piqa: query is "Question: goal\n"; context = query + "Answer:", continuation = " " + solution.</li>
 * <li>arc_easy, arc_challenge: query is "Question: q"; context = query + "\nAnswer:", continuation = " " + choice.</li>
 * <li>boolq: query is "Passage: p\nQuestion: q?"; the harness prompt has no "Passage: " label, so it is
 *     dropped: context = "p\nQuestion: q?\nAnswer:", continuations " no" / " yes".</li>
 * <li>winogrande: partial evaluation, as the harness: one context per option ("context_options", the sentence
 *     up to the blank with the option filled in), one shared continuation = " " + the rest of the sentence;
 *     the choice with the likelier continuation wins.</li>
 * <li>openbook_qa: context = query (the question stem), continuation = " " + choice.</li>
 * <li>copa: query is the premise without its final period + " because" / " therefore" (the harness's
 *     doc_to_text); continuation = " " + choice with its first letter lowercased (already so in the file).</li>
 * </ul>
 *
 * <p>{@code acc_norm} divides by the length of the choice text without the delimiter (harness: len(choice));
 * for winogrande, whose choices share the continuation, it equals {@code acc} (the harness reports only acc).
 */
public enum ZeroShotTask {
    LAMBADA_OPENAI(ZeroShotTaskName.LAMBADA_OPENAI, "lambada_openai.jsonl"),
    HELLASWAG(ZeroShotTaskName.HELLASWAG, "hellaswag_val.txt"),
    PIQA(ZeroShotTaskName.PIQA, "piqa.jsonl"),
    ARC_EASY(ZeroShotTaskName.ARC_EASY, "arc_easy.jsonl"),
    ARC_CHALLENGE(ZeroShotTaskName.ARC_CHALLENGE, "arc_challenge.jsonl"),
    BOOLQ(ZeroShotTaskName.BOOLQ, "boolq.jsonl"),
    WINOGRANDE(ZeroShotTaskName.WINOGRANDE, "winogrande.jsonl"),
    OPENBOOK_QA(ZeroShotTaskName.OPENBOOK_QA, "openbook_qa.jsonl"),
    COPA(ZeroShotTaskName.COPA, "copa.jsonl");

    /** Folder of the task files relative to the shared data root. */
    public static final String DATA_FOLDER = "eval";
    /** Every task at once. */
    static final String ALL = "all";
    static final String DELIMITER = " ";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern BRACKETS = Pattern.compile("\\[.*?\\]");
    private static final int HELLASWAG_RECORD_LINES = 6;

    private final ZeroShotTaskName name;
    private final String fileName;

    ZeroShotTask(ZeroShotTaskName name, String fileName) {
        this.name = name;
        this.fileName = fileName;
    }

    /** The task's id, the vocabulary's (requests validate against the same word). */
    public String id() {
        return name.id();
    }

    public ZeroShotTaskName taskName() {
        return name;
    }

    public String fileName() {
        return fileName;
    }

    /** True for LAMBADA (greedy word accuracy and perplexity), false for the multiple-choice tasks. */
    public boolean isLambada() {
        return this == LAMBADA_OPENAI;
    }

    /** How this task's prompt is formed, for the result document. */
    public String promptFormat() {
        return switch (this) {
            case LAMBADA_OPENAI -> "context + ' ' + last word; greedy accuracy and perplexity of the target";
            case HELLASWAG -> "preprocess('activity_label: ctx') + ' ' + preprocess(ending)";
            case PIQA -> "'Question: goal\\nAnswer:' + ' ' + solution";
            case ARC_EASY, ARC_CHALLENGE -> "'Question: q\\nAnswer:' + ' ' + choice";
            case BOOLQ -> "'passage\\nQuestion: q?\\nAnswer:' + ' ' + no|yes";
            case WINOGRANDE -> "partial: sentence up to the blank with option i + ' ' + rest of the sentence";
            case OPENBOOK_QA -> "question_stem + ' ' + choice";
            case COPA -> "premise without period + ' because'|' therefore' + ' ' + choice";
        };
    }

    /** The task of a vocabulary word; every word has one (a test holds the two lists together). */
    public static ZeroShotTask of(ZeroShotTaskName name) {
        for (ZeroShotTask task : values()) {
            if (task.name == name) {
                return task;
            }
        }
        throw new IllegalStateException("no task file for " + name.id());
    }

    /** The task of an id ("piqa"); an unknown id is an {@link InvalidSetting} naming the choices. */
    public static ZeroShotTask fromId(String id) {
        return of(ZeroShotTaskName.of(id.trim().toLowerCase(Locale.ROOT)));
    }

    /** "all" or a comma-separated list of task ids, in the given order without duplicates. */
    public static List<ZeroShotTask> parseList(String text) {
        return text.trim().equalsIgnoreCase(ALL) ? List.of(values()) : distinct(Arrays.asList(text.split(",")), text);
    }

    /** "all" alone, or task ids (a request's list), in the given order without duplicates. */
    public static List<ZeroShotTask> ofIds(List<String> ids) {
        if (ids.size() == 1 && ids.get(0).trim().equalsIgnoreCase(ALL)) {
            return List.of(values());
        }
        return distinct(ids, String.join(",", ids));
    }

    private static List<ZeroShotTask> distinct(List<String> ids, String asWritten) {
        List<ZeroShotTask> tasks = new ArrayList<>();
        for (String id : ids) {
            if (id.isBlank()) {
                continue;
            }
            ZeroShotTask task = fromId(id);
            if (!tasks.contains(task)) {
                tasks.add(task);
            }
        }
        if (tasks.isEmpty()) {
            throw new InvalidSetting(ZeroShotTaskName.FIELD, "no task named in '" + asWritten + "'");
        }
        return tasks;
    }

    /** The items of this task's file in {@code dataFolder}; {@code limit} <= 0 reads them all. */
    public List<ZeroShotItem> load(Path dataFolder, int limit) {
        return parse(dataFolder.resolve(fileName), limit);
    }

    /**
     * Parses a file of this task's format; the first {@code limit} items in file order ({@code limit} <= 0:
     * all). A malformed line is an {@link IllegalArgumentException} naming the file and the 1-based line.
     */
    public List<ZeroShotItem> parse(Path file, int limit) {
        List<String> lines;
        try {
            lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read task file " + file, e);
        }
        int wanted = limit > 0 ? limit : Integer.MAX_VALUE;
        List<ZeroShotItem> items = new ArrayList<>();
        if (this == HELLASWAG) {
            int end = lines.size();
            while (end > 0 && lines.get(end - 1).isBlank()) {
                end--;
            }
            if (end % HELLASWAG_RECORD_LINES != 0) {
                throw malformed(file, end, "hellaswag records are 6 lines (context, gold, 4 endings); the file's "
                        + end + " lines leave " + (end % HELLASWAG_RECORD_LINES) + " over");
            }
            for (int start = 0; start < end && items.size() < wanted; start += HELLASWAG_RECORD_LINES) {
                items.add(hellaswag(file, lines.subList(start, start + HELLASWAG_RECORD_LINES), start + 1));
            }
            return items;
        }
        for (int index = 0; index < lines.size() && items.size() < wanted; index++) {
            String line = lines.get(index);
            if (line.isBlank()) {
                continue;
            }
            int lineNumber = index + 1;
            JsonNode node;
            try {
                node = JSON.readTree(line);
            } catch (JsonProcessingException e) {
                throw malformed(file, lineNumber, "not JSON (" + e.getOriginalMessage() + ")");
            }
            if (node == null || !node.isObject()) {
                throw malformed(file, lineNumber, "expected a JSON object");
            }
            try {
                items.add(item(node, lineNumber));
            } catch (IllegalArgumentException e) {
                throw malformed(file, lineNumber, e.getMessage());
            }
        }
        return items;
    }

    private ZeroShotItem item(JsonNode node, int line) {
        switch (this) {
            case LAMBADA_OPENAI -> {
                String word = text(node, "continuation").strip();
                if (word.isEmpty()) {
                    throw new IllegalArgumentException("empty \"continuation\"");
                }
                return ZeroShotItem.ofChoices(List.of(new Request(text(node, "context"), DELIMITER + word)), 0,
                        DELIMITER, line);
            }
            case WINOGRANDE -> {
                List<String> contexts = strings(node, "context_options");
                String rest = DELIMITER + text(node, "continuation").strip();
                List<Request> requests = contexts.stream().map(context -> new Request(context, rest)).toList();
                int[] lengths = new int[requests.size()];
                Arrays.fill(lengths, Math.max(1, rest.codePointCount(0, rest.length()) - 1));
                return new ZeroShotItem(requests, gold(node, requests.size()), lengths, line);
            }
            default -> {
                String context = context(text(node, "query"));
                List<Request> requests = strings(node, "choices").stream()
                        .map(choice -> new Request(context, DELIMITER + choice)).toList();
                return ZeroShotItem.ofChoices(requests, gold(node, requests.size()), DELIMITER, line);
            }
        }
    }

    /** The harness context from the flat file's "query". */
    private String context(String query) {
        return switch (this) {
            case PIQA -> (query.endsWith("\n") ? query : query + "\n") + "Answer:";
            case ARC_EASY, ARC_CHALLENGE -> query + "\nAnswer:";
            case BOOLQ -> (query.startsWith("Passage: ") ? query.substring("Passage: ".length()) : query) + "\nAnswer:";
            default -> query;
        };
    }

    private static ZeroShotItem hellaswag(Path file, List<String> record, int firstLine) {
        String context = hellaswagPreprocess(record.get(0));
        if (context.isEmpty()) {
            throw malformed(file, firstLine, "empty hellaswag context");
        }
        int gold;
        try {
            gold = Integer.parseInt(record.get(1).strip());
        } catch (NumberFormatException e) {
            throw malformed(file, firstLine + 1, "hellaswag gold must be an integer 0-3, was '" + record.get(1) + "'");
        }
        if (gold < 0 || gold > 3) {
            throw malformed(file, firstLine + 1, "hellaswag gold must be 0-3, was " + gold);
        }
        List<Request> requests = new ArrayList<>();
        for (int i = 2; i < HELLASWAG_RECORD_LINES; i++) {
            String ending = hellaswagPreprocess(record.get(i));
            if (ending.isEmpty()) {
                throw malformed(file, firstLine + i, "empty hellaswag ending");
            }
            requests.add(new Request(context, DELIMITER + ending));
        }
        return ZeroShotItem.ofChoices(requests, gold, DELIMITER, firstLine);
    }

    /** lm-evaluation-harness hellaswag {@code preprocess}. */
    static String hellaswagPreprocess(String text) {
        String out = text.strip().replace(" [title]", ". ");
        out = BRACKETS.matcher(out).replaceAll("");
        return out.replace("  ", " ");
    }

    private static String text(JsonNode node, String field) {
        JsonNode value = node.get(field);
        if (value == null || !value.isTextual()) {
            throw new IllegalArgumentException("field \"" + field + "\" missing or not a string");
        }
        return value.asText();
    }

    private static List<String> strings(JsonNode node, String field) {
        JsonNode value = node.get(field);
        if (value == null || !value.isArray() || value.size() < 2) {
            throw new IllegalArgumentException("field \"" + field + "\" missing or not an array of at least 2 strings");
        }
        List<String> out = new ArrayList<>();
        for (JsonNode element : value) {
            if (!element.isTextual() || element.asText().isEmpty()) {
                throw new IllegalArgumentException("field \"" + field + "\" holds a non-string or empty element");
            }
            out.add(element.asText());
        }
        return out;
    }

    private static int gold(JsonNode node, int choices) {
        JsonNode value = node.get("gold");
        if (value == null || !value.canConvertToInt() || !value.isIntegralNumber()) {
            throw new IllegalArgumentException("field \"gold\" missing or not an integer");
        }
        int gold = value.asInt();
        if (gold < 0 || gold >= choices) {
            throw new IllegalArgumentException("gold " + gold + " outside 0.." + (choices - 1));
        }
        return gold;
    }

    private static IllegalArgumentException malformed(Path file, int line, String message) {
        return new IllegalArgumentException(file + ":" + line + ": " + message);
    }
}
