package dev.raftj.model;

import dev.raftj.kernels.CpuKernels;
import dev.raftj.torch.Torch;
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

    /** Elements a part gets at least (~0.5 ns an element). */
    static final long MIN_ELEMENTS_PER_PART = 1 << 16;

    /** GPT-2's gelu_new: 0.5 x (1 + tanh(√(2/π) (x + 0.044715 x³))). */
    static Tensor geluTanh(Tensor x) {
        if (!CpuKernels.takes(x)) return geluTanhReference(x);
        Tensor in = x.contiguous();
        Tensor out = torch.empty_like(in);
        long from = in.data_ptr().address(), to = out.data_ptr().address();
        CpuKernels.split("gelu", in.numel(), in.numel(), MIN_ELEMENTS_PER_PART, (a, b) -> CpuKernels.geluTanh(from, to, a, b));
        return out;
    }

    /** Llama's SiLU(gate) · up (the input of down_proj). */
    static Tensor siluMul(Tensor gate, Tensor up) {
        if (!CpuKernels.takes(gate, up) || !java.util.Arrays.equals(Torch.shape(gate), Torch.shape(up))) {
            return siluMulReference(gate, up);
        }
        Tensor g = gate.contiguous(), u = up.contiguous();
        Tensor out = torch.empty_like(g);
        long gAt = g.data_ptr().address(), uAt = u.data_ptr().address(), oAt = out.data_ptr().address();
        CpuKernels.split("silu * up", g.numel(), g.numel(), MIN_ELEMENTS_PER_PART, (a, b) -> CpuKernels.siluMul(gAt, uAt, oAt, a, b));
        return out;
    }

    static Tensor geluTanhReference(Tensor x) {
        return torch.gelu(x, "tanh");
    }

    static Tensor siluMulReference(Tensor gate, Tensor up) {
        return torch.silu(gate).mul(up);
    }
}
