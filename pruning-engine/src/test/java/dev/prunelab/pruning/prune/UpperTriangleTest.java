package dev.prunelab.pruning.prune;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class UpperTriangleTest {

    @Test
    void rowsFollowEachOtherWithoutGapsOrOverlap() {
        // n = 4: row 0 holds (0,0..3) at 0..3, row 1 (1,1..3) at 4..6, row 2 (2,2..3) at 7..8, row 3 (3,3) at 9
        assertEquals(10, UpperTriangle.length(4));
        assertEquals(0, UpperTriangle.rowBase(4, 0) + 0);
        assertEquals(4, UpperTriangle.rowBase(4, 1) + 1);
        assertEquals(7, UpperTriangle.rowBase(4, 2) + 2);
        assertEquals(9, UpperTriangle.rowBase(4, 3) + 3);
        // the 14336-wide input of an 8B model: its last entry is the array's last
        int n = 14336;
        assertEquals(UpperTriangle.length(n) - 1, UpperTriangle.rowBase(n, n - 1) + n - 1);
        assertEquals(102_767_616, UpperTriangle.length(n));
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 2, 63, 64, 65, 130})
    void theSquareIsTheSymmetricMatrixOfTheTriangle(int n) {
        SplittableRandom random = new SplittableRandom(n);
        double[] packed = new double[UpperTriangle.length(n)];
        for (int k = 0; k < packed.length; k++) {
            packed[k] = random.nextDouble();
        }
        double[] expected = new double[n * n];
        int k = 0;
        for (int i = 0; i < n; i++) {
            for (int j = i; j < n; j++, k++) {
                expected[i * n + j] = packed[k];
                expected[j * n + i] = packed[k];
            }
        }
        assertArrayEquals(expected, UpperTriangle.toSymmetric(packed, n));
    }

    @Test
    void aTriangleTooLargeForOneArrayOrOfTheWrongLengthIsRefused() {
        IllegalArgumentException tooLarge = assertThrows(IllegalArgumentException.class,
                () -> UpperTriangle.length(70_000));
        assertTrue(tooLarge.getMessage().contains("70000 x 70000"), tooLarge.getMessage());
        IllegalArgumentException wrong = assertThrows(IllegalArgumentException.class,
                () -> UpperTriangle.toSymmetric(new double[9], 4));
        assertEquals("a packed triangle of 4 needs 10 values, has 9", wrong.getMessage());
    }
}
