package dev.prunelab.evaluation.zeroshot;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.prunelab.text.corpus.SharedData;
import dev.prunelab.vocabulary.InvalidSetting;
import dev.prunelab.vocabulary.ZeroShotTaskName;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ZeroShotTaskTest {
    @TempDir
    Path temp;

    static Path folder() {
        return SharedData.path(ZeroShotTask.DATA_FOLDER);
    }

    @Test
    void everyTaskWordOfTheRequestsHasExactlyOneTaskFile() {
        // requests are validated against the vocabulary; a word without a task would fail only at evaluation
        for (ZeroShotTaskName name : ZeroShotTaskName.values()) {
            assertEquals(name, ZeroShotTask.of(name).taskName());
            assertEquals(name.id(), ZeroShotTask.of(name).id());
        }
        assertEquals(ZeroShotTaskName.values().length, ZeroShotTask.values().length);
        InvalidSetting unknown = assertThrows(InvalidSetting.class, () -> ZeroShotTask.fromId("mmlu"));
        assertTrue(unknown.getMessage().contains("unknown task 'mmlu'"), unknown.getMessage());
    }

    @ParameterizedTest
    @CsvSource({"lambada_openai, 5153, 1", "hellaswag, 10042, 4", "piqa, 1838, 2", "arc_easy, 2376, 4",
            "arc_challenge, 1172, 4", "boolq, 3270, 2", "winogrande, 1267, 2", "openbook_qa, 500, 4", "copa, 100, 2"})
    void everyShippedFileParsesCompletely(String id, int items, int choices) {
        ZeroShotTask task = ZeroShotTask.fromId(id);
        List<ZeroShotItem> all = task.load(folder(), 0);
        assertEquals(items, all.size());
        for (ZeroShotItem item : all) {
            assertEquals(choices, item.requests().size(), id + " line " + item.line());
            for (Request request : item.requests()) {
                assertTrue(request.continuation().startsWith(" "), id + " line " + item.line());
            }
        }
        List<ZeroShotItem> first = task.load(folder(), 7);
        assertEquals(7, first.size());
        assertEquals(all.subList(0, 7).stream().map(ZeroShotItem::line).toList(),
                first.stream().map(ZeroShotItem::line).toList());
    }

    @Test
    void promptsFollowTheHarnessTemplates() {
        ZeroShotItem arc = ZeroShotTask.ARC_EASY.load(folder(), 1).get(0);
        assertEquals("Question: Which statement best explains why photosynthesis is the foundation of most food webs?"
                + "\nAnswer:", arc.requests().get(0).context());
        assertEquals(" Sunlight is the source of energy for nearly all ecosystems.", arc.requests().get(0).continuation());

        ZeroShotItem boolq = ZeroShotTask.BOOLQ.load(folder(), 1).get(0);
        String context = boolq.requests().get(0).context();
        assertTrue(context.startsWith("All biomass goes through"), context);
        assertTrue(context.endsWith("?\nAnswer:"), context);
        assertEquals(List.of(" no", " yes"), boolq.requests().stream().map(Request::continuation).toList());

        ZeroShotItem piqa = ZeroShotTask.PIQA.load(folder(), 1).get(0);
        assertEquals("Question: How do I ready a guinea pig cage for it's new occupants?\nAnswer:",
                piqa.requests().get(0).context());

        ZeroShotItem winogrande = ZeroShotTask.WINOGRANDE.load(folder(), 1).get(0);
        assertEquals("Sarah was a much better surgeon than Maria so Sarah", winogrande.requests().get(0).context());
        assertEquals("Sarah was a much better surgeon than Maria so Maria", winogrande.requests().get(1).context());
        assertEquals(" always got the easier cases.", winogrande.requests().get(0).continuation());
        assertEquals(winogrande.requests().get(0).continuation(), winogrande.requests().get(1).continuation());
        assertEquals(1, winogrande.gold());

        ZeroShotItem hellaswag = ZeroShotTask.HELLASWAG.load(folder(), 1).get(0);
        assertEquals("Roof shingle removal: A man is sitting on a roof. he", hellaswag.requests().get(0).context());
        assertEquals(" starts pulling up roofing on a roof.", hellaswag.requests().get(3).continuation());
        assertEquals(3, hellaswag.gold());
        // acc_norm divides by the choice without the delimiter: "is using wrap to wrap a pair of skis." = 37 chars
        assertEquals(37, hellaswag.normalizationLengths()[0]);

        ZeroShotItem lambada = ZeroShotTask.LAMBADA_OPENAI.load(folder(), 1).get(0);
        assertEquals(" signs", lambada.requests().get(0).continuation());
        assertTrue(lambada.requests().get(0).context().endsWith("I don't care about"));
    }

    @Test
    void hellaswagPreprocessIsTheHarnessOne() {
        assertEquals("How to: Do it. Then [x", ZeroShotTask.hellaswagPreprocess(" How to: Do it [title] Then [x"));
        assertEquals("a b", ZeroShotTask.hellaswagPreprocess("a [header] b"));
        assertEquals("plain text", ZeroShotTask.hellaswagPreprocess("plain text"));
    }

    @Test
    void malformedJsonLineIsReportedWithFileAndLine() throws Exception {
        Path file = temp.resolve("copa.jsonl");
        Files.writeString(file, """
                {"query": "It rained, therefore", "gold": 0, "choices": ["we got wet.", "we got dry."]}

                {"query": "It rained, therefore", "gold": 0, "choices": ["we got wet.", "we got dry."
                """);
        IllegalArgumentException error = assertThrows(IllegalArgumentException.class,
                () -> ZeroShotTask.COPA.parse(file, 0));
        assertTrue(error.getMessage().startsWith(file + ":3: not JSON"), error.getMessage());
        // the limit stops before the bad line: reading the first item only succeeds
        assertEquals(1, ZeroShotTask.COPA.parse(file, 1).size());
    }

    @Test
    void wrongFieldsAreReportedWithTheirLine() throws Exception {
        Path file = temp.resolve("arc.jsonl");
        Files.writeString(file, """
                {"query": "Question: q", "gold": 1, "choices": ["a", "b"]}
                {"query": "Question: q", "gold": 2, "choices": ["a", "b"]}
                """);
        IllegalArgumentException error = assertThrows(IllegalArgumentException.class,
                () -> ZeroShotTask.ARC_EASY.parse(file, 0));
        assertEquals(file + ":2: gold 2 outside 0..1", error.getMessage());

        Files.writeString(file, "{\"context\": \"a\"}\n");
        error = assertThrows(IllegalArgumentException.class, () -> ZeroShotTask.LAMBADA_OPENAI.parse(file, 0));
        assertEquals(file + ":1: field \"continuation\" missing or not a string", error.getMessage());
    }

    @Test
    void malformedHellaswagRecordIsReportedWithTheGoldLine() throws Exception {
        Path file = temp.resolve("hellaswag.txt");
        Files.writeString(file, "ctx one\n1\na\nb\nc\nd\nctx two\nfour\na\nb\nc\nd\n");
        IllegalArgumentException error = assertThrows(IllegalArgumentException.class,
                () -> ZeroShotTask.HELLASWAG.parse(file, 0));
        assertTrue(error.getMessage().startsWith(file + ":8: hellaswag gold"), error.getMessage());

        Files.writeString(file, "ctx one\n1\na\nb\nc\nd\nctx two\n");
        error = assertThrows(IllegalArgumentException.class, () -> ZeroShotTask.HELLASWAG.parse(file, 0));
        assertTrue(error.getMessage().startsWith(file + ":7: hellaswag records are 6 lines"), error.getMessage());
    }

    @Test
    void taskListsParse() {
        assertEquals(9, ZeroShotTask.parseList("all").size());
        assertEquals(List.of(ZeroShotTask.COPA, ZeroShotTask.PIQA), ZeroShotTask.parseList("copa, piqa,copa"));
        IllegalArgumentException error = assertThrows(IllegalArgumentException.class,
                () -> ZeroShotTask.parseList("copa,mmlu"));
        assertTrue(error.getMessage().contains("mmlu"));
        assertFalse(ZeroShotTask.PIQA.isLambada());
        // a request's list, as it is: the same tasks as the text would give
        assertEquals(9, ZeroShotTask.ofIds(List.of("all")).size());
        assertEquals(List.of(ZeroShotTask.COPA, ZeroShotTask.PIQA), ZeroShotTask.ofIds(List.of("copa", "piqa", "copa")));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> ZeroShotTask.ofIds(List.of("copa", "all")))
                .getMessage().contains("'all'"), "all stands alone");
        assertArrayEquals(new int[] {2, 3}, ZeroShotItem.ofChoices(
                List.of(new Request("c", " ab"), new Request("c", " é€d")), 0, " ", 1).normalizationLengths());
    }
}
