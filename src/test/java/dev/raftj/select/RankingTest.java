package dev.raftj.select;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class RankingTest {

    // 2 prompts x 4 samples, prompt-major:  prompt 0 = [0.1, 0.9, 0.5, 0.9], prompt 1 = [0.3, 0.2, 0.8, 0.1]
    private static final double[] REWARDS = {0.1, 0.9, 0.5, 0.9, 0.3, 0.2, 0.8, 0.1};

    @Test
    void localTopOnePerPromptTiesToLowerIndex() {
        // prompt 0: 0.9 at 1 and 3 tie -> 1; prompt 1: 0.8 at 6
        assertArrayEquals(new int[] {1, 6}, Ranking.localTopM(REWARDS, 2, 4, 1, null));
    }

    @Test
    void localTopTwoIsBestFirstWithinEachPrompt() {
        assertArrayEquals(new int[] {1, 3, 6, 4}, Ranking.localTopM(REWARDS, 2, 4, 2, null));
    }

    @Test
    void localNeverKeepsInvalidSamples() {
        boolean[] valid = {true, false, true, true, false, false, false, true};
        // prompt 0 valid: 0(0.1) 2(0.5) 3(0.9) -> 3; prompt 1 valid: 7(0.1) -> 7
        assertArrayEquals(new int[] {3, 7}, Ranking.localTopM(REWARDS, 2, 4, 1, valid));
    }

    @Test
    void localKeepsFewerWhenMExceedsValidCount() {
        boolean[] valid = {false, false, true, false, false, false, false, false};
        // prompt 0 has one valid sample, prompt 1 none
        assertArrayEquals(new int[] {2}, Ranking.localTopM(REWARDS, 2, 4, 3, valid));
        // m larger than k keeps all k, best first
        assertArrayEquals(new int[] {1, 3, 2, 0}, Ranking.localTopM(new double[] {0.1, 0.9, 0.5, 0.9}, 1, 4, 10, null));
    }

    @Test
    void localRejectsWrongShape() {
        assertThrows(IllegalArgumentException.class, () -> Ranking.localTopM(REWARDS, 3, 4, 1, null));
        assertThrows(IllegalArgumentException.class, () -> Ranking.localTopM(REWARDS, 2, 4, 0, null));
        assertThrows(IllegalArgumentException.class, () -> Ranking.localTopM(REWARDS, 2, 4, 1, new boolean[3]));
    }

    @Test
    void nanMarkedValidIsACallerBug() {
        double[] r = {1.0, Double.NaN};
        assertThrows(IllegalArgumentException.class, () -> Ranking.localTopM(r, 1, 2, 1, null));
        // the same NaN masked out is fine
        assertArrayEquals(new int[] {0}, Ranking.localTopM(r, 1, 2, 1, new boolean[] {true, false}));
    }

    @Test
    void globalTopFractionKeepsCeilOfFractionTimesN() {
        // N = 8, fraction 1/4 -> 2: 0.9 at 1 and 3
        assertArrayEquals(new int[] {1, 3}, Ranking.globalTopFraction(REWARDS, 0.25, null));
        // fraction 0.3 -> ceil(2.4) = 3: 1, 3, then 0.8 at 6
        assertArrayEquals(new int[] {1, 3, 6}, Ranking.globalTopFraction(REWARDS, 0.3, null));
        // fraction 1 keeps all, best first, ties (0.1 at 0 and 7) to lower index
        assertArrayEquals(new int[] {1, 3, 6, 2, 4, 5, 0, 7}, Ranking.globalTopFraction(REWARDS, 1.0, null));
    }

    @Test
    void globalSkipsInvalidAndKeepsFewerIfNeeded() {
        boolean[] valid = {true, false, true, false, true, true, false, true};
        // top 3 of valid {0:0.1, 2:0.5, 4:0.3, 5:0.2, 7:0.1} -> 2, 4, 5
        assertArrayEquals(new int[] {2, 4, 5}, Ranking.globalTopFraction(REWARDS, 0.375, valid));
        boolean[] one = new boolean[8];
        one[5] = true;
        assertArrayEquals(new int[] {5}, Ranking.globalTopFraction(REWARDS, 0.5, one));
    }

    @Test
    void keepCountIsRobustToRounding() {
        assertEquals(3, Ranking.keepCount(30, 0.1));   // 0.1*30 = 3.0000000000000004
        assertEquals(1, Ranking.keepCount(8, 0.125));
        assertEquals(1, Ranking.keepCount(3, 0.01));   // ceil(0.03)
        assertEquals(3, Ranking.keepCount(7, 1.0 / 3)); // ceil(2.33)
        assertThrows(IllegalArgumentException.class, () -> Ranking.globalTopFraction(REWARDS, 0.0, null));
        assertThrows(IllegalArgumentException.class, () -> Ranking.globalTopFraction(REWARDS, 1.5, null));
    }

    @Test
    void minusZeroTiesWithZero() {
        assertArrayEquals(new int[] {0, 1}, Ranking.globalTopK(new double[] {-0.0, 0.0}, 2, null));
    }

    @Test
    void klAdjustmentIsRewardMinusBetaTimesLogRatio() {
        double[] r = {1.0, 1.0, 0.5};
        double[] logp = {-2.0, -10.0, -3.0};
        double[] logpRef = {-6.0, -9.0, -3.0};
        // beta 0.1: 1 - 0.1*4 = 0.6; 1 - 0.1*(-1) = 1.1; 0.5 - 0 = 0.5
        double[] key = Ranking.klAdjusted(r, logp, logpRef, 0.1);
        assertArrayEquals(new double[] {0.6, 1.1, 0.5}, key, 1e-6); // float32 arithmetic, as the kernels
        assertArrayEquals(r, Ranking.klAdjusted(r, logp, logpRef, 0.0), 1e-6);
    }

    @Test
    void klAdjustmentChangesTheOrder() {
        double[] r = {1.0, 0.9};
        double[] logp = {-1.0, -5.0};
        double[] logpRef = {-5.0, -5.0};
        // plain: sample 0 wins; beta 0.1: 1.0 - 0.4 = 0.6 < 0.9 -> sample 1 wins
        assertArrayEquals(new int[] {0}, Ranking.localTopM(r, 1, 2, 1, null));
        assertArrayEquals(new int[] {1}, Ranking.localTopM(Ranking.klAdjusted(r, logp, logpRef, 0.1), 1, 2, 1, null));
        assertThrows(IllegalArgumentException.class, () -> Ranking.klAdjusted(r, new double[1], logpRef, 0.1));
    }
}
