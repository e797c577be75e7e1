package dev.prunelab.evaluation.quality;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class LogSoftmaxTest {
    /** The plain definition greedy decoding relies on: the first index of the largest logit. */
    private static int firstLargest(float[] row) {
        int best = 0;
        for (int i = 1; i < row.length; i++) {
            if (row[i] > row[best]) {
                best = i;
            }
        }
        return best;
    }

    @Test
    void argmaxIsTheFirstLargestLogitAtEveryPositionAndWidth() {
        SplittableRandom random = new SplittableRandom(7);
        for (int width : new int[] {1, 3, 15, 16, 17, 63, 512, 32000, 32003}) {
            float[] row = new float[width];
            for (int trial = 0; trial < 20; trial++) {
                for (int i = 0; i < width; i++) {
                    row[i] = (float) random.nextGaussian();
                }
                int at = random.nextInt(width);
                row[at] = 100f;                                   // a maximum in the vector body or in the tail
                if (trial % 2 == 0 && width > 1) {
                    row[random.nextInt(width)] = 100f;            // and a tie: the first one wins
                }
                assertEquals(firstLargest(row), LogSoftmax.argmax(row), "width " + width + " trial " + trial);
            }
        }
    }

    @Test
    void argmaxOfRowsWithNaNOrInfinitiesMatchesThePlainDefinition() {
        float[] allNaN = new float[40];
        java.util.Arrays.fill(allNaN, Float.NaN);
        assertEquals(0, LogSoftmax.argmax(allNaN));
        float[] someNaN = new float[40];
        someNaN[5] = Float.NaN;
        someNaN[30] = 2f;
        assertEquals(firstLargest(someNaN), LogSoftmax.argmax(someNaN));
        float[] negative = new float[33];
        java.util.Arrays.fill(negative, Float.NEGATIVE_INFINITY);
        negative[32] = -1e30f;
        assertEquals(32, LogSoftmax.argmax(negative));
        assertEquals(0, LogSoftmax.argmax(new float[33]));   // all equal: the first
    }
}
