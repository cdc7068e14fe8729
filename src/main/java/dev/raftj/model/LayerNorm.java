package dev.raftj.model;

import dev.raftj.kernels.CpuKernels;
import dev.raftj.torch.Torch;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptional;
import org.bytedeco.pytorch.global.torch;

/**
 * GPT-2's LayerNorm, optionally with the residual add before it. In forwards without a gradient on
 * the CPU in float32 it runs raftj's kernel ({@code src/main/native/cpu/layer_norm.cpp}): one call
 * for the add and the norm, no mean/rstd outputs, rows split over LibTorch's threads. Elsewhere
 * (training, CUDA, no kernels) {@link #reference}: LibTorch's add and layer_norm.
 */
final class LayerNorm {
    private LayerNorm() {}

    /** LayerNorm of x over its last dimension. */
    static Tensor apply(Tensor x, Tensor weight, Tensor bias, double eps) {
        return addAndApply(x, null, weight, bias, eps)[1];
    }

    /**
     * {s = x + residual, LayerNorm(s)}; with a null residual, {x, LayerNorm(x)}. The kernel runs on
     * contiguous copies of the inputs where they are not contiguous already.
     */
    static Tensor[] addAndApply(Tensor x, Tensor residual, Tensor weight, Tensor bias, double eps) {
        long d = x.size(x.dim() - 1);
        boolean fits = residual == null ? CpuKernels.takes(x, weight, bias)
                : (CpuKernels.takes(x, residual, weight, bias) && java.util.Arrays.equals(Torch.shape(x), Torch.shape(residual)));
        if (!fits || weight.numel() != d || bias.numel() != d) return reference(x, residual, weight, bias, eps);
        Tensor in = x.contiguous(), r = residual == null ? null : residual.contiguous();
        Tensor w = weight.contiguous(), b = bias.contiguous();
        Tensor sum = r == null ? in : torch.empty_like(in), out = torch.empty_like(in);
        long xAt = in.data_ptr().address(), rAt = r == null ? 0 : r.data_ptr().address();
        long wAt = w.data_ptr().address(), bAt = b.data_ptr().address();
        long sAt = r == null ? 0 : sum.data_ptr().address(), oAt = out.data_ptr().address();
        long rows = in.numel() / d;
        float e = (float) eps;
        CpuKernels.split("layer norm", rows, in.numel(), Activations.MIN_ELEMENTS_PER_PART,
                (from, to) -> CpuKernels.layerNorm(xAt, rAt, wAt, bAt, sAt, oAt, d, e, from, to));
        return new Tensor[] {sum, out};
    }

    /** The same in LibTorch ops, on any device and with autograd. */
    static Tensor[] reference(Tensor x, Tensor residual, Tensor weight, Tensor bias, double eps) {
        Tensor s = residual == null ? x : x.add(residual);
        return new Tensor[] {s, torch.layer_norm(s, new long[] {s.size(s.dim() - 1)}, new TensorOptional(weight),
                new TensorOptional(bias), eps, false)};
    }
}
