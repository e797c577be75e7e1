package dev.prunelab.events;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The search request's space, its defaults, and the one-line refusals before anything is published. */
class SearchRequestTest {

    private static final Instant T = Instant.parse("2026-01-31T12:00:00Z");
    private final EventCodec codec = new EventCodec();

    /** The space: 4 methods × 3 sparsities × {uniform, owl} × {float, 4-bit}, plus mlp+heads FLAP. */
    private static final String SEARCH = """
            {"searchId":"q1","model":{"path":"stories15M.bin"},
             "evaluation":{"perplexity":{"maxWindows":200},"energy":{}},
             "methods":["magnitude","wanda","sparsegpt","ria","structured"],"sparsities":[0.3,0.5,0.7],
             "layerSparsities":["uniform","owl"],"weightBits":[32,4],
             "structured":{"targets":["mlp+heads"],"ratios":[0.2,0.3,0.5],"scores":["flap"]}}
            """;

    private String refusal(String json) {
        return assertThrows(IllegalArgumentException.class, () -> codec.decodeSearch(json)).getMessage();
    }

    @Test
    void theSpaceIsTheGridsCellsWithDefaultsForTheBudget() {
        SearchRequest search = codec.decodeSearch(SEARCH);
        // 4 × 3 × 2 × 2 unstructured, 3 structured × 2 widths, dense w4
        assertEquals(48 + 6 + 1, search.candidates().size());
        assertEquals(List.of(2, 16, 3, 4), List.of(search.parallel(), search.screenWindows(), search.keepOneIn(),
                search.patience()));
        assertTrue(search.candidates().stream().noneMatch(PruneSpec::isDense));
        RunRequested screen = search.screenRun(search.candidates().get(0), T);
        RunRequested full = search.fullRun(search.candidates().get(0), T);
        assertEquals("q1-screen", screen.sweepId());
        assertEquals(16, screen.evaluation().perplexity().maxWindows());
        assertEquals(null, screen.evaluation().energy());
        assertEquals("q1", full.sweepId());
        assertEquals(search.denseRun(T).runId(), full.evaluation().energy().referenceRunId());
        assertEquals(search.fullRun(search.candidates().get(0), T.plusSeconds(60)).runId(), full.runId(),
                "run ids do not depend on when they were proposed");
    }

    @Test
    void anAcceptedSearchTravelsAsAnEventAndComesBackEqual() {
        SearchRequested event = new SearchRequested(codec.decodeSearch(SEARCH), T);
        Event back = codec.decode(codec.encode(event));
        assertEquals(event, back);
        assertEquals(Topics.SEARCH_REQUESTED, Topics.of(back));
        assertEquals("q1", back.key());
        assertEquals(java.util.Set.of(EventSources.GATEWAY), EventSources.owners(back));
    }

    @Test
    void anEmptyOrContradictorySpaceIsRefusedInOneLineNamingTheField() {
        assertEquals("methods: is missing or empty", refusal(SEARCH.replaceAll("\"methods\":\\[[^]]*]", "\"methods\":[]")));
        assertTrue(refusal(SEARCH.replace("\"sparsities\":[0.3,0.5,0.7],", "")).startsWith("sparsities:"));
        assertEquals("methods: the space has no candidate besides the dense run", refusal("""
                {"searchId":"q1","model":{"path":"m.bin"},"methods":["wanda"],"sparsities":[0]}"""));
        String floatOnly = """
                {"searchId":"q1","model":{"path":"m.bin"},"methods":["wanda"],"sparsities":[0.5],"minSpeedup":1.2}""";
        assertTrue(refusal(floatOnly).startsWith("minSpeedup: 1.2 > 1 contradicts the space"), refusal(floatOnly));
        assertTrue(refusal(SEARCH.replace("\"searchId\":\"q1\",", "\"searchId\":\"q1\",\"maxPerplexityIncrease\":-0.1,"))
                .startsWith("maxPerplexityIncrease: -0.1"));
        assertTrue(refusal(SEARCH.replace("\"maxWindows\":200", "\"maxWindows\":8")).startsWith("screenWindows: 16 must "
                + "be below evaluation.perplexity.maxWindows (8)"));
        assertTrue(refusal(SEARCH.replace("\"perplexity\":{\"maxWindows\":200},", "\"latency\":{},"))
                .startsWith("evaluation.perplexity: is missing"));
        assertTrue(refusal(SEARCH.replace("\"searchId\":\"q1\",", "\"searchId\":\"q1\",\"keepOneIn\":1,"))
                .startsWith("keepOneIn: 1 must be at least 2"));
        assertTrue(refusal(SEARCH.replace("\"searchId\":\"q1\",", "\"searchId\":\"q1\",\"budget\":3,"))
                .startsWith("budget: unknown field (known: calibration, dtype, evaluation, keepOneIn,"));
    }

    @Test
    void aBudgetTooSmallForTheFirstRungIsRefusedWithWhatItNeeds() {
        assertEquals("maxRuns: 57 is too small: the dense run, its screen, the 55 candidates' screens and one full "
                + "run need 58", refusal(SEARCH.replace("\"searchId\":\"q1\",", "\"searchId\":\"q1\",\"maxRuns\":57,")));
        assertEquals(58, codec.decodeSearch(SEARCH.replace("\"searchId\":\"q1\",", "\"searchId\":\"q1\",\"maxRuns\":58,"))
                .maxRuns());
        assertTrue(refusal(SEARCH.replace("\"searchId\":\"q1\",", "\"searchId\":\"q1\",\"maxMinutes\":0,"))
                .startsWith("maxMinutes: 0 must be at least 1"));
    }
}
