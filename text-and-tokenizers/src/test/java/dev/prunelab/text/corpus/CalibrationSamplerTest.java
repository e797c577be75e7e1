package dev.prunelab.text.corpus;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class CalibrationSamplerTest {
    private static final int[] STREAM = IntStream.range(0, 1000).toArray();

    @Test
    void sameSeedSameWindows() {
        List<int[]> a = new CalibrationSampler(8, 16, 42).sample(STREAM);
        List<int[]> b = CalibrationSampler.sample(STREAM, 8, 16, 42);
        assertEquals(8, a.size());
        for (int i = 0; i < a.size(); i++) {
            assertArrayEquals(a.get(i), b.get(i));
        }
        List<int[]> c = new CalibrationSampler(8, 16, 43).sample(STREAM);
        boolean allSame = true;
        for (int i = 0; i < a.size(); i++) {
            allSame &= a.get(i)[0] == c.get(i)[0];
        }
        assertFalse(allSame, "another seed should draw other offsets");
    }

    @Test
    void windowsAreContiguousSlicesOfTheStream() {
        for (int[] window : new CalibrationSampler(50, 16, 7).sample(STREAM)) {
            assertEquals(16, window.length);
            for (int i = 1; i < window.length; i++) {
                assertEquals(window[0] + i, window[i]);
            }
        }
        // A stream exactly one window long has one possible offset.
        assertArrayEquals(new int[] {0, 1, 2}, new CalibrationSampler(3, 3, 1).sample(new int[] {0, 1, 2}).get(2));
    }

    @Test
    void tooShortStreamIsAnError() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new CalibrationSampler(4, 2048, 0).sample(new int[100]));
        assertEquals("calibration text has 100 tokens, shorter than one window of 2048", e.getMessage());
    }

    @Test
    void invalidParametersAreRejected() {
        assertThrows(IllegalArgumentException.class, () -> new CalibrationSampler(0, 16, 0));
        assertThrows(IllegalArgumentException.class, () -> new CalibrationSampler(4, 0, 0));
    }
}
