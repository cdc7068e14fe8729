package dev.raftj.select;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class ThresholdsTest {

    @Test
    void minMaxNormalisation() {
        // min 2, max 6: (r - 2) / 4
        double[] n = Thresholds.normaliseMinMax(new double[] {2, 4, 6, 5}, null);
        assertArrayEquals(new double[] {0, 0.5, 1, 0.75}, n, 1e-12);
    }

    @Test
    void normalisationIgnoresInvalidAndGivesThemNaN() {
        boolean[] valid = {true, false, true, true};
        // valid {0, 2, 4}: min 0, max 4; the invalid 100 is not the max
        double[] n = Thresholds.normaliseMinMax(new double[] {0, 100, 2, 4}, valid);
        assertEquals(0.0, n[0]);
        assertTrue(Double.isNaN(n[1]));
        assertEquals(0.5, n[2]);
        assertEquals(1.0, n[3]);
    }

    @Test
    void constantSetNormalisesToOne() {
        assertArrayEquals(new double[] {1, 1, 1}, Thresholds.normaliseMinMax(new double[] {3, 3, 3}, null));
    }

    @Test
    void filterAboveKeepsAtLeastTau() {
        double[] n = {0, 0.5, 1, 0.75, Double.NaN};
        assertArrayEquals(new int[] {0, 1, 2, 3}, Thresholds.filterAbove(n, 0.0));
        assertArrayEquals(new int[] {2, 3}, Thresholds.filterAbove(n, 0.7));
        assertArrayEquals(new int[] {2}, Thresholds.filterAbove(n, 1.0));
        assertArrayEquals(new int[] {}, Thresholds.filterAbove(new double[] {0.2}, 0.5));
    }

    @Test
    void restEmKeepsCorrectOnly() {
        double[] r = {1, 0, 1, 0.5, 1};
        boolean[] valid = {true, true, true, true, false};
        assertArrayEquals(new int[] {0, 2}, Thresholds.keepCorrect(r, valid));
        assertArrayEquals(new int[] {0, 2, 4}, Thresholds.keepCorrect(r, null));
    }

    @Test
    void percentileInterpolatesLinearly() {
        double[] v = {1, 2, 3, 4, 5};
        assertEquals(1.0, Thresholds.percentile(v, 0));
        assertEquals(3.0, Thresholds.percentile(v, 50));
        assertEquals(5.0, Thresholds.percentile(v, 100));
        assertEquals(4.6, Thresholds.percentile(v, 90), 1e-12); // position 3.6
        assertEquals(2.5, Thresholds.percentile(new double[] {1, 4}, 50));
    }

    @Test
    void perPromptPercentileFilter() {
        // prompt 0 = [1, 2, 3, 4] (median 2.5 -> keep 2, 3); prompt 1 = [10, 10, 0, 5] (median 7.5 -> keep 4, 5)
        double[] r = {1, 2, 3, 4, 10, 10, 0, 5};
        assertArrayEquals(new int[] {2, 3, 4, 5}, Thresholds.filterPerPromptPercentile(r, 2, 4, 50, null));
        assertArrayEquals(new int[] {0, 1, 2, 3, 4, 5, 6, 7}, Thresholds.filterPerPromptPercentile(r, 2, 4, 0, null));
        // 100 keeps the best of each, with ties
        assertArrayEquals(new int[] {3, 4, 5}, Thresholds.filterPerPromptPercentile(r, 2, 4, 100, null));
        // invalid samples neither kept nor counted; prompt 1 all invalid
        boolean[] valid = {false, true, true, false, false, false, false, false};
        assertArrayEquals(new int[] {2}, Thresholds.filterPerPromptPercentile(r, 2, 4, 100, valid));
        assertThrows(IllegalArgumentException.class, () -> Thresholds.filterPerPromptPercentile(r, 2, 4, 101, null));
    }

    @Test
    void scheduleParsesAndValidates() {
        ThresholdSchedule s = ThresholdSchedule.parse("0.0, 0.7 0.8,0.9");
        assertEquals(List.of(0.0, 0.7, 0.8, 0.9), s.thresholds());
        assertEquals(0.8, s.get(2));
        assertEquals(5, ThresholdSchedule.PAPER.size());
    }

    @Test
    void scheduleRejectsBadLists() {
        assertEquals("needs at least one threshold", message(() -> ThresholdSchedule.parse(" ")));
        assertEquals("not strictly increasing: threshold 3 (0.7) is not above threshold 2 (0.7)",
                message(() -> new ThresholdSchedule(List.of(0.0, 0.7, 0.7))));
        assertEquals("threshold 2 is 1.5, must be in [0, 1]",
                message(() -> new ThresholdSchedule(List.of(0.5, 1.5))));
        assertEquals("threshold 1 is -0.1, must be in [0, 1]", message(() -> ThresholdSchedule.parse("-0.1")));
        assertEquals("threshold 'x' is not a number", message(() -> ThresholdSchedule.parse("0.1,x")));
        assertEquals("threshold 2 is null, must be in [0, 1]",
                message(() -> new ThresholdSchedule(Arrays.asList(0.1, null))));
    }

    private static String message(Runnable r) {
        return assertThrows(IllegalArgumentException.class, r::run).getMessage();
    }
}
