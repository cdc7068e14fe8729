package dev.raftj.bench;

import dev.raftj.torch.Torch;
import java.util.Locale;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.InferenceMode;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * Whether a bfloat16 reference or reward model would pay on this CPU (issue 8's opt-in lever): the
 * 124M shapes' linear layers, [rows × 768]·[768 × out]ᵀ, in float32 and in bfloat16, side by side
 * (alternated, best of 3 rounds), 2 LibTorch threads. Prints whether the CPU has AVX-512 BF16 or AMX.
 * <pre>java -cp CP dev.raftj.bench.Bf16Gemm</pre>
 */
public final class Bf16Gemm {
    private static final int[][] SHAPES = {{64, 768, 3072}, {64, 768, 768}, {352, 768, 3072}, {2816, 768, 3072}};

    public static void main(String[] args) throws Exception {
        Torch.init(2);
        String flags = java.nio.file.Files.readString(java.nio.file.Path.of("/proc/cpuinfo"));
        System.out.println("cpu flags: avx512_bf16 " + flags.contains("avx512_bf16") + ", amx_bf16 " + flags.contains("amx_bf16")
                + ", avx2 " + flags.contains(" avx2"));
        System.out.println("rows x in x out | float32, ms | bfloat16, ms | bfloat16 / float32");
        try (InferenceMode im = new InferenceMode()) {
            for (int[] s : SHAPES) {
                Tensor x = torch.randn(s[0], s[1]), w = torch.randn(s[2], s[1]);
                Tensor xb = x.to(torch.ScalarType.BFloat16), wb = w.to(torch.ScalarType.BFloat16);
                int calls = Math.max(3, (int) (2e9 / ((double) s[0] * s[1] * s[2])));
                double f32 = Double.MAX_VALUE, bf16 = Double.MAX_VALUE;
                for (int round = 0; round < 3; round++) {
                    f32 = Math.min(f32, millis(x, w, calls));
                    bf16 = Math.min(bf16, millis(xb, wb, calls));
                }
                System.out.printf(Locale.ROOT, "%d x %d x %d | %.2f | %.2f | %.2f%n", s[0], s[1], s[2], f32, bf16, bf16 / f32);
            }
        }
    }

    private static double millis(Tensor x, Tensor w, int calls) {
        long t0 = System.nanoTime();
        for (int i = 0; i < calls; i++) {
            try (PointerScope scope = new PointerScope()) {
                torch.linear(x, w);
            }
        }
        return (System.nanoTime() - t0) / 1e6 / calls;
    }
}
