package dev.raftj.bench;

import dev.raftj.torch.Torch;
import java.util.Locale;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.openblas.presets.openblas_nolapack;
import org.bytedeco.pytorch.InferenceMode;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * The data behind {@link Torch#BLAS_PARALLEL_MACS}: float32 addmm [rows × in]·[in × out] + bias on
 * 1 and on 2 OpenBLAS threads, side by side (alternated, best of 3 rounds), at the tiny models'
 * decode shapes and at 124M's. LibTorch has 2 threads. Run with the launcher's environment
 * (OPENBLAS_NUM_THREADS=1, OPENBLAS_THREAD_TIMEOUT=4, OMP_WAIT_POLICY=PASSIVE):
 * <pre>java -cp CP dev.raftj.bench.BlasThreads</pre>
 */
public final class BlasThreads {
    private static final int[][] SHAPES = {
        {8, 64, 256}, {32, 64, 256}, {64, 64, 256}, {128, 64, 256}, {256, 64, 256}, {512, 64, 256}, {512, 256, 64},
        {512, 64, 176}, {2048, 64, 256}, {16, 768, 3072}, {64, 768, 768}, {64, 768, 3072}};

    public static void main(String[] args) {
        Torch.init(2);
        System.out.println("rows x in x out | M multiply-adds | 1 BLAS thread, us | 2 BLAS threads, us | 1 / 2");
        try (InferenceMode im = new InferenceMode()) {
            for (int[] s : SHAPES) {
                Tensor x = torch.randn(s[0], s[1]), w = torch.randn(s[1], s[2]), b = torch.randn(s[2]);
                double macs = (double) s[0] * s[1] * s[2];
                int calls = (int) Math.max(20, Math.min(3000, 1e9 / macs));
                double[] best = {Double.MAX_VALUE, Double.MAX_VALUE};
                for (int round = 0; round < 3; round++) {
                    for (int threads = 1; threads <= 2; threads++) {
                        openblas_nolapack.blas_set_num_threads(threads);
                        best[threads - 1] = Math.min(best[threads - 1], micros(x, w, b, calls));
                    }
                }
                System.out.printf(Locale.ROOT, "%d x %d x %d | %.2f | %.1f | %.1f | %.2f%n", s[0], s[1], s[2], macs / 1e6,
                        best[0], best[1], best[0] / best[1]);
            }
        }
    }

    /** Microseconds per addmm, after a warm-up of a quarter as many calls. */
    private static double micros(Tensor x, Tensor w, Tensor b, int calls) {
        for (int i = 0; i < calls / 4 + 5; i++) {
            try (PointerScope scope = new PointerScope()) {
                torch.addmm(b, x, w);
            }
        }
        long t = System.nanoTime();
        for (int i = 0; i < calls; i++) {
            try (PointerScope scope = new PointerScope()) {
                torch.addmm(b, x, w);
            }
        }
        return (System.nanoTime() - t) / 1e3 / calls;
    }
}
