package dev.raftj.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.raftj.torch.Torch;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * The CPU sampling kernel makes the exact draw from TorchKernels' uniforms: the first token whose
 * cumulative probability (computed in double here) exceeds u, wherever u is more than 1e-5 from a
 * boundary. TorchKernels differs from it on under 1% of rows (its float cumsum over thousands of
 * tokens drifts by ~1e-4). Log-probabilities are within 1e-5 of the exact ones; greedy rows take the first
 * largest logit; filtered rows go to the reference.
 */
class CpuSamplingTest {

    @Test
    void drawsTheReferencesTokens() throws Exception {
        Assumptions.assumeTrue(CpuKernels.loaded() || !builtHere(), "the CPU kernels were not built here");
        assertTrue(CpuKernels.loaded(), () -> "built but not loaded: " + CpuKernels.loadError());
        TorchKernels reference = new TorchKernels();
        CpuSamplingKernels cpu = new CpuSamplingKernels(reference);
        torch.manual_seed(11);
        for (double temperature : new double[] {1.0, 0.7, 1.6}) {
            for (int v : new int[] {7, 512, 5003}) {
                Tensor logits = torch.randn(1024, v).mul(new Scalar(3));
                Kernels.SamplingRows rows = rows(1024, temperature, 0, 1.0);
                for (long step = 0; step < 2; step++) {
                    Kernels.Sampled want = reference.sample(logits, rows, 42, step), got = cpu.sample(logits, rows, 42, step);
                    long[] a = Torch.toLongs(want.tokens()), b = Torch.toLongs(got.tokens());
                    double[][] cdf = cdf(logits, temperature);
                    float[] u = Torch.toFloats(TorchKernels.uniform(1024, 42, step));
                    int differ = 0;
                    for (int r = 0; r < a.length; r++) {
                        // the exact draw: the first token whose cumulative probability (double) exceeds u
                        int exact = 0;
                        while (exact < v - 1 && cdf[r][exact] <= u[r]) exact++;
                        double margin = Math.min(Math.abs(cdf[r][exact] - u[r]), exact > 0 ? Math.abs(u[r] - cdf[r][exact - 1]) : 1);
                        if (margin > 1e-5) assertEquals(exact, b[r], "row " + r + ": the kernel's token against the exact draw");
                        if (a[r] != b[r]) differ++; // LibTorch's float cumsum drifts over thousands of tokens
                    }
                    assertTrue(differ <= a.length / 100, differ + " of " + a.length + " tokens differ from the reference (T " + temperature + ", V " + v + ")");
                    float[] lb = Torch.toFloats(got.logprobs()), x = Torch.toFloats(logits);
                    for (int r = 0; r < b.length; r++) {
                        assertEquals(exactLogprob(x, r, v, (int) b[r]), lb[r], 1e-5 * Math.max(1, Math.abs(lb[r])), "log-prob of row " + r);
                    }
                }
            }
        }
    }

    /** log softmax(logits)[r, token] in double. */
    private static double exactLogprob(float[] x, int r, int v, int token) {
        double max = Double.NEGATIVE_INFINITY, sum = 0;
        for (int i = 0; i < v; i++) max = Math.max(max, x[r * v + i]);
        for (int i = 0; i < v; i++) sum += Math.exp(x[r * v + i] - max);
        return x[r * v + token] - max - Math.log(sum);
    }

    /** Each row's cumulative softmax(logits / T) in double: cdf[r][i] = P(token <= i). */
    private static double[][] cdf(Tensor logits, double temperature) {
        int b = (int) logits.size(0), v = (int) logits.size(1);
        float[] x = Torch.toFloats(logits);
        double[][] out = new double[b][v];
        for (int r = 0; r < b; r++) {
            double max = Double.NEGATIVE_INFINITY, sum = 0;
            for (int i = 0; i < v; i++) max = Math.max(max, x[r * v + i]);
            for (int i = 0; i < v; i++) sum += Math.exp((x[r * v + i] - max) / temperature);
            double run = 0;
            for (int i = 0; i < v; i++) {
                run += Math.exp((x[r * v + i] - max) / temperature) / sum;
                out[r][i] = run;
            }
        }
        return out;
    }

    @Test
    void greedyRowsTakeTheFirstLargestLogit() throws Exception {
        Assumptions.assumeTrue(CpuKernels.loaded() || !builtHere(), "the CPU kernels were not built here");
        CpuSamplingKernels cpu = new CpuSamplingKernels(new TorchKernels());
        Tensor logits = Torch.floats(new float[] {1, 5, 5, 2, /**/ 9, 0, 9, 9}, 2, 4);
        Kernels.Sampled s = cpu.sample(logits, rows(2, 0.0, 0, 1.0), 1, 0);
        assertEquals("[1, 0]", java.util.Arrays.toString(Torch.toLongs(s.tokens())));
    }

    @Test
    void filteredRowsAreTheReferences() throws Exception {
        Assumptions.assumeTrue(CpuKernels.loaded() || !builtHere(), "the CPU kernels were not built here");
        TorchKernels reference = new TorchKernels();
        CpuSamplingKernels cpu = new CpuSamplingKernels(reference);
        torch.manual_seed(12);
        Tensor logits = torch.randn(256, 300);
        Kernels.SamplingRows rows = rows(256, 1.0, 5, 0.9);
        assertEquals(java.util.Arrays.toString(Torch.toLongs(reference.sample(logits, rows, 7, 3).tokens())),
                java.util.Arrays.toString(Torch.toLongs(cpu.sample(logits, rows, 7, 3).tokens())));
    }

    private static Kernels.SamplingRows rows(int b, double temperature, int topK, double topP) {
        return new Kernels.SamplingRows(torch.full(new long[] {b}, new Scalar(temperature)),
                torch.full(new long[] {b}, new Scalar(topK), Torch.options(torch.ScalarType.Long, Torch.device("cpu"))),
                torch.full(new long[] {b}, new Scalar(topP)), torch.full(new long[] {b}, new Scalar(0.0)));
    }

    /** Whether this build's native step made the CPU kernels (cmake/build-cpu.sh's status file). */
    private static boolean builtHere() throws java.io.IOException {
        java.nio.file.Path status = java.nio.file.Path.of("target/native/cpu-kernels.status");
        return java.nio.file.Files.exists(status) && java.nio.file.Files.readString(status).trim().equals("built");
    }
}
