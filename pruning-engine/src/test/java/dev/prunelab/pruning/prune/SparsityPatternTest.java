package dev.prunelab.pruning.prune;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class SparsityPatternTest {

    @Test
    void parsesUnstructuredAndNm() {
        assertEquals(new SparsityPattern.Unstructured(0.5), SparsityPattern.parse("0.5"));
        assertEquals(new SparsityPattern.NM(2, 4), SparsityPattern.parse("2:4"));
        assertEquals(new SparsityPattern.NM(4, 8), SparsityPattern.parse(" 4:8 "));
        assertEquals(0.5, SparsityPattern.parse("2:4").sparsity());
        assertEquals(0.75, SparsityPattern.parse("1:4").sparsity());
    }

    @Test
    void rejectsInvalidPatternsWithClearMessages() {
        // the vocabulary's rules (PruneRules, NmPattern), worded as the requests word them
        assertEquals("sparsity: 1.2 is outside [0, 1)",
                assertThrows(IllegalArgumentException.class, () -> SparsityPattern.parse("1.2")).getMessage());
        assertEquals("sparsity: -0.1 is outside [0, 1)",
                assertThrows(IllegalArgumentException.class, () -> new SparsityPattern.Unstructured(-0.1)).getMessage());
        assertEquals("sparsity: NaN is outside [0, 1)",
                assertThrows(IllegalArgumentException.class, () -> new SparsityPattern.Unstructured(Double.NaN)).getMessage());
        assertEquals("pattern: 4:4 has N >= M; N must be below M (2:4 keeps 2 of every 4)",
                assertThrows(IllegalArgumentException.class, () -> SparsityPattern.parse("4:4")).getMessage());
        assertEquals("0:4 keeps N=0 weights per group; N must be at least 1",
                assertThrows(IllegalArgumentException.class, () -> new SparsityPattern.NM(0, 4)).getMessage());
        assertThrows(IllegalArgumentException.class, () -> new SparsityPattern.NM(4, 8).checkColumns(0));
        assertThrows(IllegalArgumentException.class, () -> SparsityPattern.parse("half"));
        assertThrows(IllegalArgumentException.class,
                () -> new Magnitude().prune(new float[800], 8, 99, null, new SparsityPattern.NM(4, 8)));
    }
}
