package dev.prunelab.evaluation.zeroshot;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The selection logic against a fake scorer whose log-likelihoods are written out by hand. */
class ZeroShotEvaluatorTest {

    /**
     * A toy "model" that gives every character of a continuation probability 1/2 except 'z' (probability 1/8):
     * log-likelihood = -(n_other ln 2 + n_z ln 8). Easy to compute by hand for the cases below.
     */
    static final LoglikelihoodScorer HALVES = requests -> requests.stream().map(request -> {
        String continuation = request.continuation();
        double sum = 0;
        for (char c : continuation.toCharArray()) {
            sum += c == 'z' ? Math.log(1.0 / 8) : Math.log(0.5);
        }
        return new Loglikelihood(sum, false, continuation.length());
    }).toList();

    @Test
    void accAndAccNormPickDifferentAnswers() {
        // " zz"      : 3 chars (ln2 + 2 ln8 = 7 ln2), choice "zz" has 2 chars -> per char -3.5 ln2
        // " aaaaaaa" : 8 chars (8 ln2),               choice "aaaaaaa" has 7 chars -> per char -8/7 ln2
        // acc takes " zz" (-7 ln2 > -8 ln2); acc_norm takes " aaaaaaa" (-1.14 ln2 > -3.5 ln2)
        List<Request> requests = List.of(new Request("Q:", " zz"), new Request("Q:", " aaaaaaa"));
        List<Loglikelihood> scores = HALVES.score(requests);
        assertEquals(-7 * Math.log(2), scores.get(0).logLikelihood(), 1e-12);
        assertEquals(-8 * Math.log(2), scores.get(1).logLikelihood(), 1e-12);

        ZeroShotItem goldShort = ZeroShotItem.ofChoices(requests, 0, " ", 1);
        ZeroShotItem goldLong = ZeroShotItem.ofChoices(requests, 1, " ", 2);
        assertEquals(0, ZeroShotEvaluator.accChoice(scores));
        assertEquals(1, ZeroShotEvaluator.accNormChoice(scores, goldShort.normalizationLengths()));

        TaskResult onlyShort = ZeroShotEvaluator.evaluate(ZeroShotTask.PIQA, List.of(goldShort), HALVES, done -> { });
        assertEquals(1.0, onlyShort.acc());
        assertEquals(0.0, onlyShort.accNorm());
        TaskResult both = ZeroShotEvaluator.evaluate(ZeroShotTask.PIQA, List.of(goldShort, goldLong, goldLong),
                HALVES, done -> { });
        assertEquals(1.0 / 3, both.acc(), 1e-12);
        assertEquals(2.0 / 3, both.accNorm(), 1e-12);
        assertEquals(Math.sqrt((1.0 / 3) * (2.0 / 3) / 2), both.accStderr(), 1e-12);
        assertNull(both.perplexity());
    }

    @Test
    void tiesGoToTheFirstChoiceAsNumpyArgmax() {
        List<Loglikelihood> scores = List.of(new Loglikelihood(-1, false, 1), new Loglikelihood(-1, false, 1));
        assertEquals(0, ZeroShotEvaluator.accChoice(scores));
        assertEquals(0, ZeroShotEvaluator.accNormChoice(scores, new int[] {3, 3}));
    }

    @Test
    void lambadaCountsGreedyTargetsAndReportsTheirPerplexity() {
        Map<String, Loglikelihood> table = Map.of(
                "a", new Loglikelihood(-1.0, true, 1),
                "b", new Loglikelihood(-3.0, false, 2),
                "c", new Loglikelihood(-2.0, true, 1));
        LoglikelihoodScorer fake = requests -> List.of(table.get(requests.get(0).context()));
        List<ZeroShotItem> items = List.of(
                ZeroShotItem.ofChoices(List.of(new Request("a", " word")), 0, " ", 1),
                ZeroShotItem.ofChoices(List.of(new Request("b", " word")), 0, " ", 2),
                ZeroShotItem.ofChoices(List.of(new Request("c", " word")), 0, " ", 3));
        int[] progress = new int[1];
        TaskResult result = ZeroShotEvaluator.evaluate(ZeroShotTask.LAMBADA_OPENAI, items, fake,
                done -> progress[0] = done);
        assertEquals(2.0 / 3, result.acc(), 1e-12);
        assertEquals(Math.exp(2.0), result.perplexity(), 1e-9);    // exp(-mean(-1, -3, -2))
        assertNull(result.accNorm());
        assertEquals(3, progress[0]);
    }

    @Test
    void aScorerReturningTheWrongNumberOfResultsIsAnError() {
        ZeroShotItem item = ZeroShotItem.ofChoices(List.of(new Request("c", " x"), new Request("c", " y")), 0, " ", 1);
        LoglikelihoodScorer broken = requests -> List.of(new Loglikelihood(-1, false, 1));
        assertThrows(IllegalStateException.class,
                () -> ZeroShotEvaluator.evaluate(ZeroShotTask.COPA, List.of(item), broken, done -> { }));
    }

    @Test
    void positiveLogLikelihoodIsRejected() {
        assertThrows(IllegalArgumentException.class, () -> new Loglikelihood(0.5, false, 1));
    }
}
