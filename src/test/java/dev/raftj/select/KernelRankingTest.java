package dev.raftj.select;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import dev.raftj.kernels.TorchKernels;
import java.util.SplittableRandom;
import org.bytedeco.pytorch.Device;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Selection through the Kernels interface equals the pure-Java rankers, ties and invalid samples included. */
class KernelRankingTest {

    @ParameterizedTest
    @CsvSource({"16,8,1", "16,8,3", "5,4,4", "7,16,2"})
    void sameAsRanking(int prompts, int k, int m) {
        SplittableRandom rnd = new SplittableRandom(prompts * 31L + k * 7L + m);
        for (int trial = 0; trial < 20; trial++) {
            double[] r = new double[prompts * k];
            boolean[] valid = new boolean[r.length];
            for (int i = 0; i < r.length; i++) {
                r[i] = rnd.nextInt(5) / 4.0;          // few distinct values: many ties
                valid[i] = rnd.nextInt(5) != 0;        // some dropped or filtered samples
            }
            Device cpu = new Device("cpu");
            TorchKernels kernels = new TorchKernels();
            assertArrayEquals(Ranking.localTopM(r, prompts, k, m, valid),
                    KernelRanking.localTopM(kernels, cpu, r, valid, prompts, k, m), "local, trial " + trial);
            assertArrayEquals(Ranking.globalTopFraction(r, 1.0 / k, valid),
                    KernelRanking.globalTopFraction(kernels, cpu, r, valid, 1.0 / k), "global, trial " + trial);
        }
    }
}
