package dev.raftj.model;

import dev.raftj.kernels.CpuKernels;
import dev.raftj.torch.Torch;
import java.util.stream.IntStream;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * The MLP activations. Without a gradient, on the CPU in float32, they run raftj's kernels
 * ({@code src/main/native/cpu/activations.cpp}): this LibTorch build's CPU tanh takes ~6.5 ns an
 * element (GELU was ~10% of a tiny decode step). With a gradient, elsewhere, or where the kernels
 * were not built: LibTorch's ops ({@link #geluTanhReference}, {@link #siluMulReference}).
 */
final class Activations {
    private Activations() {}

    /** Elements below which one thread does all the work (~0.5 ns an element; a part's wake-up is ~tens of µs). */
    private static final long MIN_ELEMENTS_PER_PART = 1 << 16;

    /** GPT-2's gelu_new: 0.5 x (1 + tanh(√(2/π) (x + 0.044715 x³))). */
    static Tensor geluTanh(Tensor x) {
        if (!fast(x)) return geluTanhReference(x);
        Tensor in = x.contiguous();
        Tensor out = torch.empty_like(in);
        long from = in.data_ptr().address(), to = out.data_ptr().address();
        split(in.numel(), (a, b) -> CpuKernels.geluTanh(from, to, a, b));
        return out;
    }

    /** Llama's SiLU(gate) · up (the input of down_proj). */
    static Tensor siluMul(Tensor gate, Tensor up) {
        if (!fast(gate) || !fast(up) || !java.util.Arrays.equals(Torch.shape(gate), Torch.shape(up))) {
            return siluMulReference(gate, up);
        }
        Tensor g = gate.contiguous(), u = up.contiguous();
        Tensor out = torch.empty_like(g);
        long gAt = g.data_ptr().address(), uAt = u.data_ptr().address(), oAt = out.data_ptr().address();
        split(g.numel(), (a, b) -> CpuKernels.siluMul(gAt, uAt, oAt, a, b));
        return out;
    }

    static Tensor geluTanhReference(Tensor x) {
        return torch.gelu(x, "tanh");
    }

    static Tensor siluMulReference(Tensor gate, Tensor up) {
        return torch.silu(gate).mul(up);
    }

    static boolean fast(Tensor x) {
        return CpuKernels.loaded() && !x.requires_grad() && !x.is_cuda() && Torch.dtype(x) == torch.ScalarType.Float;
    }

    interface Range {
        int run(long from, long to);
    }

    /**
     * Runs {@code range} over [0, n) in as many parts as LibTorch has threads (fewer for small n),
     * on the common fork-join pool and the caller. {@link Rotary} shares it.
     */
    private static void split(long n, Range range) {
        split(n, n, range);
    }

    /** As above, for n items of {@code elements} elements in all (the parts' size rule is in elements). */
    static void split(long n, long elements, Range range) {
        int parts = (int) Math.max(1, Math.min(Math.min(torch.get_num_threads(), n), elements / MIN_ELEMENTS_PER_PART));
        if (parts == 1) {
            CpuKernels.check(range.run(0, n), "CPU kernel");
            return;
        }
        IntStream.range(0, parts).parallel().forEach(p -> CpuKernels.check(range.run(n * p / parts, n * (p + 1) / parts), "CPU kernel"));
    }
}
