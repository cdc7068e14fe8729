package dev.raftj.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.raftj.train.Advantages.KlEstimator;
import dev.raftj.train.Advantages.Scale;
import org.junit.jupiter.api.Test;

/** PPO's and GRPO's host arithmetic against values worked out by hand (OpenRLHF tests its losses this way). */
class AdvantagesTest {
    private static final double EPS = 1e-9;

    @Test
    void klEstimatorsK1K2K3() {
        // log π = −1, log π_ref = −1.5: d = 0.5
        assertEquals(0.5, Advantages.kl(KlEstimator.K1, -1.0, -1.5), EPS);
        assertEquals(0.125, Advantages.kl(KlEstimator.K2, -1.0, -1.5), EPS);
        assertEquals(0.10653065971263342, Advantages.kl(KlEstimator.K3, -1.0, -1.5), EPS); // e^−0.5 − 1 + 0.5
        // d = −1: k1 negative, k2 and k3 not
        assertEquals(-1.0, Advantages.kl(KlEstimator.K1, -2.0, -1.0), EPS);
        assertEquals(0.5, Advantages.kl(KlEstimator.K2, -2.0, -1.0), EPS);
        assertEquals(0.7182818284590451, Advantages.kl(KlEstimator.K3, -2.0, -1.0), EPS); // e − 2
        // clamped to ±10 as OpenRLHF does
        assertEquals(10.0, Advantages.kl(KlEstimator.K1, 0.0, -20.0), EPS);
        assertEquals(-10.0, Advantages.kl(KlEstimator.K1, -20.0, 0.0), EPS);
        assertEquals(10.0, Advantages.kl(KlEstimator.K3, -20.0, 0.0), EPS);
        assertEquals(0.0, Advantages.kl(KlEstimator.K3, -3.0, -3.0), EPS);
    }

    @Test
    void adaptiveKlControllerMovesTowardTheTargetByAtMostTwentyPercentTimesNOverHorizon() {
        KlController c = KlController.adaptive(0.1, 6.0, 10000);
        c.update(9.0, 256); // 9/6 − 1 = 0.5 → clipped to 0.2: β·(1 + 0.2·256/10000)
        assertEquals(0.100512, c.value(), 1e-12);
        c.set(0.1);
        c.update(3.0, 256); // −0.5 → −0.2
        assertEquals(0.099488, c.value(), 1e-12);
        c.set(0.1);
        c.update(6.6, 256); // 0.1, inside the clip
        assertEquals(0.100256, c.value(), 1e-12);
        KlController fixed = KlController.fixed(0.05);
        fixed.update(100.0, 256);
        assertEquals(0.05, fixed.value());
    }

    @Test
    void scoresTakeTheMissingEosPenaltyThenTheClip() {
        double[] s = Advantages.scores(new double[] {3, 12, -15, 1}, new boolean[] {true, false, true, false}, 1.0, 10.0);
        assertArrayEquals(new double[] {3, 10, -10, 0}, s, EPS);
        assertArrayEquals(new double[] {3, 12, -15, 1},
                Advantages.scores(new double[] {3, 12, -15, 1}, new boolean[4], null, null), EPS);
    }

    @Test
    void shapedRewardsAreMinusBetaKlPerTokenPlusTheScoreOnTheLastToken() {
        double[][] r = Advantages.shapedRewards(new double[] {1.0, -2.0, 5.0},
                new double[][] {{0.1, 0.2, 0.3}, {0.5}, {}}, 0.1);
        assertArrayEquals(new double[] {-0.01, -0.02, 0.97}, r[0], EPS);
        assertArrayEquals(new double[] {-2.05}, r[1], EPS);
        assertEquals(0, r[2].length);
    }

    @Test
    void gaeByHand() {
        double[][] rewards = {{0, 0, 1}, {2}, {}};
        double[][] values = {{0.5, 0.6, 0.7}, {0.5}, {}};
        Advantages.Gae g = Advantages.gae(rewards, values, 1.0, 0.95);
        // δ2 = 1 − 0.7 = 0.3; δ1 = 0.7 − 0.6 = 0.1, A1 = 0.1 + 0.95·0.3; δ0 = 0.1, A0 = 0.1 + 0.95·0.385
        assertArrayEquals(new double[] {0.46575, 0.385, 0.3}, g.advantages()[0], EPS);
        assertArrayEquals(new double[] {0.96575, 0.985, 1.0}, g.returns()[0], EPS);
        assertArrayEquals(new double[] {1.5}, g.advantages()[1], EPS);
        assertArrayEquals(new double[] {2.0}, g.returns()[1], EPS);
        assertEquals(0, g.advantages()[2].length);
        // γ 0.9, λ 0.5: δ2 = 0.3; δ1 = 0.9·0.7 − 0.6 = 0.03, A1 = 0.03 + 0.45·0.3 = 0.165;
        // δ0 = 0.9·0.6 − 0.5 = 0.04, A0 = 0.04 + 0.45·0.165 = 0.11425
        Advantages.Gae h = Advantages.gae(rewards, values, 0.9, 0.5);
        assertArrayEquals(new double[] {0.11425, 0.165, 0.3}, h.advantages()[0], EPS);
        assertArrayEquals(new double[] {0.61425, 0.765, 1.0}, h.returns()[0], EPS);
    }

    @Test
    void whiteningUsesEveryTokenOfEveryRowWithTheUnbiasedVariance() {
        // tokens 1, 2, 3, 4: mean 2.5, unbiased variance 5/3
        double s = 1 / Math.sqrt(5.0 / 3 + 1e-8);
        double[][] w = Advantages.whiten(new double[][] {{1, 2}, {3}, {4}}, true);
        assertArrayEquals(new double[] {-1.5 * s, -0.5 * s}, w[0], EPS);
        assertArrayEquals(new double[] {0.5 * s}, w[1], EPS);
        assertArrayEquals(new double[] {1.5 * s}, w[2], EPS);
        assertEquals(-1.161895003862225, w[0][0], 1e-8);
        double[][] keep = Advantages.whiten(new double[][] {{1, 2}, {3}, {4}}, false);
        assertEquals(2.5 - 1.161895003862225, keep[0][0], 1e-8);
    }

    @Test
    void groupAdvantagesAreCentredOnTheGroupAndScaledByItsStd() {
        double[] r = {1, 0, 0, 1, /**/ 1, 1, 1, 1, /**/ 1, 0, 99, 0};
        boolean[] v = {true, true, true, true, true, true, true, true, true, true, false, true};
        double[] a = Advantages.groupAdvantages(r, v, 4, Scale.GROUP);
        double s1 = Math.sqrt(1.0 / 3) + 1e-4; // unbiased std of 1, 0, 0, 1
        assertArrayEquals(new double[] {0.5 / s1, -0.5 / s1, -0.5 / s1, 0.5 / s1}, java.util.Arrays.copyOfRange(a, 0, 4), 1e-12);
        assertEquals(0.8658754, a[0], 1e-6);
        assertArrayEquals(new double[4], java.util.Arrays.copyOfRange(a, 4, 8), "equal rewards: no signal");
        // the dropped sample takes no part: valid 1, 0, 0 → mean 1/3, unbiased std √(1/3)
        assertArrayEquals(new double[] {(2.0 / 3) / s1, (-1.0 / 3) / s1, 0, (-1.0 / 3) / s1},
                java.util.Arrays.copyOfRange(a, 8, 12), 1e-12);
        double[] none = Advantages.groupAdvantages(r, v, 4, Scale.NONE);
        assertArrayEquals(new double[] {0.5, -0.5, -0.5, 0.5, 0, 0, 0, 0, 2.0 / 3, -1.0 / 3, 0, -1.0 / 3}, none, 1e-12);
        // batch: the eleven valid rewards (seven 1s, four 0s) give one std for every group
        double mean = 7.0 / 11, var = (7 * Math.pow(1 - mean, 2) + 4 * mean * mean) / 10;
        double[] batch = Advantages.groupAdvantages(r, v, 4, Scale.BATCH);
        assertEquals(0.5 / (Math.sqrt(var) + 1e-4), batch[0], 1e-12);
        assertEquals(1.0 / 3, Advantages.zeroStdFraction(r, v, 4), EPS);
    }

    @Test
    void explainedVarianceByHand() {
        // returns 1, 2, 4 (variance 14/9); returns − values 0, 0, 1 (variance 2/9): 1 − 1/7
        assertEquals(6.0 / 7, Advantages.explainedVariance(new double[][] {{1, 2}, {3}}, new double[][] {{1, 2}, {4}}), EPS);
        assertTrue(Double.isNaN(Advantages.explainedVariance(new double[][] {{1}}, new double[][] {{2}})));
        assertEquals((0.2 + 0.5) / 2, Advantages.meanOfRowMeans(new double[][] {{0.1, 0.3}, {}, {0.5}}), EPS);
    }
}
