package dev.raftj.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.raftj.torch.Torch;
import java.util.Arrays;
import java.util.Comparator;
import java.util.stream.IntStream;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The reference sampler's empirical distribution against the exact filtered distribution
 * (computed here in double precision). With N = 200,000 draws over V = 16 tokens the expected
 * total-variation distance of a correct sampler is about 0.004; the bound is 0.01.
 */
class TorchSamplingDistributionTest {
    static final int N = 200_000, V = 16;
    static final float[] LOGITS = {2.0f, 1.5f, 1.5f, 1.0f, 0.7f, 0.5f, 0.2f, 0.0f, -0.3f, -0.5f, -1.0f, -1.2f,
            -1.5f, -2.0f, -2.5f, -3.0f};

    @ParameterizedTest(name = "T={0} top-k={1} top-p={2} min-p={3}")
    @CsvSource({"1.0,0,1.0,0.0", "0.7,0,1.0,0.0", "1.0,5,1.0,0.0", "1.0,0,0.8,0.0", "1.3,8,0.9,0.0",
            "1.0,0,1.0,0.2", "0.8,10,0.95,0.05"})
    void empiricalMatchesExact(double temperature, int topK, double topP, double minP) {
        float[] rows = new float[N * V];
        for (int r = 0; r < N; r++) System.arraycopy(LOGITS, 0, rows, r * V, V);
        Tensor logits = Torch.floats(rows, N, V);
        Kernels.SamplingRows params = new Kernels.SamplingRows(torch.full(new long[] {N}, new org.bytedeco.pytorch.Scalar(temperature)),
                torch.full(new long[] {N}, new org.bytedeco.pytorch.Scalar(topK)).to(torch.ScalarType.Long),
                torch.full(new long[] {N}, new org.bytedeco.pytorch.Scalar(topP)),
                torch.full(new long[] {N}, new org.bytedeco.pytorch.Scalar(minP)));
        Kernels.Sampled s = new TorchKernels().sample(logits, params, 1234, 0);
        long[] tokens = Torch.toLongs(s.tokens());
        double[] empirical = new double[V];
        for (long t : tokens) empirical[(int) t] += 1.0 / N;
        double[] exact = exact(temperature, topK, topP, minP);
        double tv = 0;
        for (int i = 0; i < V; i++) {
            tv += 0.5 * Math.abs(empirical[i] - exact[i]);
            if (exact[i] == 0) assertEquals(0, empirical[i], "filtered-out token " + i + " was drawn");
        }
        assertTrue(tv < 0.01, "total variation " + tv + "; exact " + Arrays.toString(exact) + " empirical "
                + Arrays.toString(empirical));
        // logprobs are log_softmax of the raw logits at the drawn token
        float[] lp = Torch.toFloats(s.logprobs());
        double lse = Math.log(IntStream.range(0, V).mapToDouble(i -> Math.exp(LOGITS[i])).sum());
        for (int r = 0; r < 100; r++) assertEquals(LOGITS[(int) tokens[r]] - lse, lp[r], 1e-5);
    }

    static double[] exact(double temperature, int topK, double topP, double minP) {
        double[] p = new double[V];
        double z = 0;
        for (int i = 0; i < V; i++) z += (p[i] = Math.exp(LOGITS[i] / temperature));
        for (int i = 0; i < V; i++) p[i] /= z;
        Integer[] order = IntStream.range(0, V).boxed().sorted(Comparator.comparingDouble((Integer i) -> -p[i])
                .thenComparingInt(i -> i)).toArray(Integer[]::new);
        boolean[] keep = new boolean[V];
        int k = topK > 0 ? Math.min(topK, V) : V;
        double keptMass = 0;
        for (int r = 0; r < k; r++) keptMass += p[order[r]];
        double before = 0;
        for (int r = 0; r < k; r++) {
            int i = order[r];
            keep[i] = (r == 0 || before / keptMass < topP) && p[i] >= minP * p[order[0]];
            before += p[i];
        }
        double kept = 0;
        for (int i = 0; i < V; i++) if (keep[i]) kept += p[i];
        double[] q = new double[V];
        for (int i = 0; i < V; i++) q[i] = keep[i] ? p[i] / kept : 0;
        return q;
    }

    @ParameterizedTest
    @CsvSource({"0.0"})
    void greedyIsArgmaxWithTiesToLowerIndex(double temperature) {
        float[] l = {0.1f, 3f, 3f, -1f, 2.9f, 3f};
        Tensor logits = Torch.floats(l, 1, 6);
        Kernels.SamplingRows params = new Kernels.SamplingRows(torch.full(new long[] {1}, new org.bytedeco.pytorch.Scalar(temperature)),
                torch.zeros(1).to(torch.ScalarType.Long), torch.ones(1), torch.zeros(1));
        assertArrayEquals(new long[] {1}, Torch.toLongs(new TorchKernels().sample(logits, params, 0, 0).tokens()));
    }
}
