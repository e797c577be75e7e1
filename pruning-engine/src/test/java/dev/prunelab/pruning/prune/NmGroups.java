package dev.prunelab.pruning.prune;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Checks that every N:M group of every row has exactly the zeros the pattern asks for. */
final class NmGroups {
    private NmGroups() {
    }

    static void assertExact(float[] w, int out, int in, SparsityPattern.NM nm) {
        for (int r = 0; r < out; r++) {
            for (int g = 0; g < in; g += nm.m()) {
                int size = Math.min(nm.m(), in - g);
                assertEquals(nm.prunedInGroup(size), TestLayers.zerosIn(w, r * in + g, size),
                        nm + " row " + r + " group at " + g);
            }
        }
    }
}
