package dev.raftj.select;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** ReST's filters, by hand. */
class ThresholdsTest {

    @Test
    void quantileInterpolatesLikeNumpyOverValidRewards() {
        double[] r = {4, 1, 3, 2, 100};
        boolean[] valid = {true, true, true, true, false};
        assertEquals(1.0, Thresholds.quantile(r, valid, 0.0));
        assertEquals(4.0, Thresholds.quantile(r, valid, 1.0));
        assertEquals(2.5, Thresholds.quantile(r, valid, 0.5), 1e-12);   // numpy.quantile([1,2,3,4], 0.5)
        assertEquals(3.7, Thresholds.quantile(r, valid, 0.9), 1e-12);   // 3 + 0.7·(4 − 3)
        assertTrue(Double.isNaN(Thresholds.quantile(r, new boolean[5], 0.5)), "no valid reward: NaN");
    }

    @Test
    void keepAtLeastKeepsValidRewardsAtOrAboveTheCut() {
        double[] r = {0.2, 0.9, 0.5, Double.NaN, 0.9};
        boolean[] valid = {true, true, true, true, false};
        assertArrayEquals(new int[] {1, 2}, Thresholds.keepAtLeast(r, valid, 0.5));
        assertArrayEquals(new int[] {0, 1, 2}, Thresholds.keepAtLeast(r, valid, Thresholds.quantile(r, valid, 0.0)));
        assertArrayEquals(new int[] {1}, Thresholds.keepAtLeast(r, valid, Thresholds.quantile(r, valid, 1.0)));
        assertArrayEquals(new int[] {}, Thresholds.keepAtLeast(r, valid, Double.NaN));
    }

    /** A binary reward on the quantile scale: τ = 0.7, 0.8, 0.9 all become the cut 1 and keep the same set. */
    @Test
    void binaryRewardMakesRisingQuantilesSelectTheSameSet() {
        double[] r = {0, 1, 0, 0, 1, 0, 0, 0, 1, 0};
        int[] at07 = Thresholds.keepAtLeast(r, null, Thresholds.quantile(r, null, 0.7));
        assertArrayEquals(new int[] {1, 4, 8}, at07);
        assertArrayEquals(at07, Thresholds.keepAtLeast(r, null, Thresholds.quantile(r, null, 0.9)));
        assertArrayEquals(new int[] {0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, Thresholds.keepAtLeast(r, null, Thresholds.quantile(r, null, 0.0)));
    }

    @Test
    void firstNonBinaryFindsTheFirstValidRewardOtherThanZeroOrOne() {
        assertEquals(-1, Thresholds.firstNonBinary(new double[] {0, 1, 1, 0}, null));
        assertEquals(2, Thresholds.firstNonBinary(new double[] {0, 1, 0.5, 2}, null));
        assertEquals(3, Thresholds.firstNonBinary(new double[] {0, 1, 0.5, 2}, new boolean[] {true, true, false, true}));
    }

    @Test
    void percentileMatchesNumpyLinear() {
        double[] a = {1, 2, 3, 4};
        assertEquals(1.0, Thresholds.percentile(a, 0));
        assertEquals(4.0, Thresholds.percentile(a, 100));
        assertEquals(1.75, Thresholds.percentile(a, 25), 1e-12);
    }
}
