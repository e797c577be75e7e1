package dev.prunelab.pruning.prune;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class KernelsTest {

    /** The 4x4-tiled Gram update must give the 1x4 kernel's sums bit for bit, tails and row ranges included. */
    @ParameterizedTest
    @CsvSource({"37, 37, 0, 37", "64, 256, 0, 64", "50, 19, 16, 32", "768, 256, 752, 768", "5, 3, 0, 5", "9, 8, 4, 9"})
    void tiledGramUpdateEqualsTheRowKernelExactly(int in, int tokens, int rowFrom, int rowTo) {
        SplittableRandom random = new SplittableRandom(in * 31L + tokens);
        double[] xt = new double[in * tokens];
        for (int i = 0; i < xt.length; i++) {
            xt[i] = random.nextDouble(-2, 2);
        }
        double[] start = new double[UpperTriangle.length(in)]; // H's upper triangle, packed by rows
        for (int i = 0; i < start.length; i++) {
            start[i] = random.nextDouble();
        }
        double[] rows = start.clone();
        double[] tiles = start.clone();
        Kernels.addGramUpper(xt, tokens, in, 0.37, rows, rowFrom, rowTo);
        Kernels.addGramUpperTiled(xt, tokens, in, 0.37, tiles, rowFrom, rowTo);
        for (int i = 0; i < in; i++) {
            for (int j = i; j < in; j++) {
                int at = UpperTriangle.rowBase(in, i) + j;
                boolean updated = i >= rowFrom && i < rowTo;
                assertEquals(rows[at], tiles[at], 0.0, "H[" + i + "][" + j + "]");
                if (!updated) {
                    assertEquals(start[at], tiles[at], 0.0, "H[" + i + "][" + j + "] is not touched");
                } else {
                    double expected = start[at];
                    double dot = 0;
                    for (int t = 0; t < tokens; t++) {
                        dot += xt[i * tokens + t] * xt[j * tokens + t];
                    }
                    assertEquals(expected + 0.37 * dot, tiles[at], 1e-12 * (1 + Math.abs(dot)));
                }
            }
        }
    }
}
