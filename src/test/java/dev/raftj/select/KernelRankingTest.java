package dev.raftj.select;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import dev.raftj.kernels.TorchKernels;
import java.util.SplittableRandom;
import org.bytedeco.pytorch.Device;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The selection the RAFT loop runs (KernelRanking: keys built on the device, KL adjustment inside
 * the kernel) equals the host reference Ranking, ties, near-ties and invalid samples included.
 */
class KernelRankingTest {
    private static final Device CPU = new Device("cpu");

    @ParameterizedTest
    @CsvSource({"16,8,1", "16,8,3", "5,4,4", "7,16,2"})
    void sameAsRanking(int prompts, int k, int m) {
        SplittableRandom rnd = new SplittableRandom(prompts * 31L + k * 7L + m);
        TorchKernels kernels = new TorchKernels();
        for (int trial = 0; trial < 20; trial++) {
            double[] r = new double[prompts * k], logp = new double[r.length], logpRef = new double[r.length];
            boolean[] valid = new boolean[r.length];
            for (int i = 0; i < r.length; i++) {
                r[i] = rnd.nextInt(5) / 4.0;          // few distinct values: many ties
                logp[i] = -rnd.nextInt(40) / 8.0;
                logpRef[i] = -rnd.nextInt(40) / 8.0;
                valid[i] = rnd.nextInt(5) != 0;        // some dropped or filtered samples
            }
            double beta = trial % 2 == 0 ? 0 : 0.1 * trial;
            KernelRanking.Keys keys = new KernelRanking.Keys(r, valid, beta > 0 ? logp : null, beta > 0 ? logpRef : null, beta);
            double[] key = beta > 0 ? Ranking.klAdjusted(r, logp, logpRef, beta) : r;
            assertArrayEquals(Ranking.localTopM(key, prompts, k, m, valid),
                    KernelRanking.localTopM(kernels, CPU, keys, prompts, k, m), "local, trial " + trial);
            assertArrayEquals(Ranking.globalTopFraction(key, 1.0 / k, valid),
                    KernelRanking.globalTopFraction(kernels, CPU, keys, 1.0 / k), "global, trial " + trial);
        }
    }

    /**
     * Keys that differ only below float32 precision tie in both rankers (one precision), so the
     * lower index wins; in float64 the second would have won.
     */
    @Test
    void nearTiesOrderTheSameInBoth() {
        double[] r = {0.3, 0.3 + 1e-12};
        boolean[] valid = {true, true};
        int[] kernel = KernelRanking.localTopM(new TorchKernels(), CPU, KernelRanking.Keys.of(r, valid), 1, 2, 1);
        assertArrayEquals(Ranking.localTopM(r, 1, 2, 1, valid), kernel);
        assertArrayEquals(new int[] {0}, kernel);
        // KL-adjusted near-tie: r − β(logp − logpRef) computed in float32 operation by operation
        double[] logp = {-2.0000001, -2.0}, logpRef = {-1.0, -1.0};
        double[] key = Ranking.klAdjusted(new double[] {0.5, 0.5}, logp, logpRef, 0.3);
        int[] adjusted = KernelRanking.localTopM(new TorchKernels(), CPU,
                new KernelRanking.Keys(new double[] {0.5, 0.5}, valid, logp, logpRef, 0.3), 1, 2, 1);
        assertArrayEquals(Ranking.localTopM(key, 1, 2, 1, valid), adjusted);
        assertNotEquals(null, adjusted);
    }
}
