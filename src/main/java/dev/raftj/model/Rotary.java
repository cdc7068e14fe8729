package dev.raftj.model;

import dev.raftj.kernels.CpuKernels;
import org.bytedeco.pytorch.DoubleOptional;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptional;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;

/**
 * Llama's per-position ops: the rotary position embedding (HF's rotate_half form,
 * x·cos + [−x2, x1]·sin) and RMSNorm. Without a gradient, on the CPU in float32, raftj's kernels
 * ({@code src/main/native/cpu/rope.cpp}, {@code rms_norm.cpp}) do each in one pass; otherwise, and
 * where the kernels were not built, the LibTorch ops ({@link #reference}, {@link #rmsNormReference}).
 */
final class Rotary {
    private Rotary() {}

    /** x [B, H, T, D] (any strides, D contiguous), cos and sin [B, 1, T, D]; returns [B, H, T, D]. */
    static Tensor apply(Tensor x, Tensor cos, Tensor sin) {
        long b = x.size(0), h = x.size(1), t = x.size(2), d = x.size(3);
        // the kernel reads one cos/sin row per (batch row, position): broadcast tables go to the reference
        boolean perRow = cos.dim() == 4 && cos.size(0) == b && cos.size(2) == t && cos.size(3) == d
                && java.util.Arrays.equals(dev.raftj.torch.Torch.shape(cos), dev.raftj.torch.Torch.shape(sin));
        if (!CpuKernels.takes(x, cos, sin) || x.stride(3) != 1 || !perRow) {
            return reference(x, cos, sin);
        }
        Tensor c = cos.contiguous(), s = sin.contiguous();
        Tensor out = torch.empty(new long[] {b, h, t, d}, new org.bytedeco.pytorch.TensorOptions(torch.ScalarType.Float), null);
        long xAt = x.data_ptr().address(), cAt = c.data_ptr().address(), sAt = s.data_ptr().address(), oAt = out.data_ptr().address();
        long xB = x.stride(0), xH = x.stride(1), xT = x.stride(2);
        CpuKernels.split("rope", b * h * t, b * h * t * d, Activations.MIN_ELEMENTS_PER_PART, (from, to) -> CpuKernels.rope(xAt, xB, xH, xT, cAt, sAt, oAt, h, t, d, from, to));
        return out;
    }

    static Tensor reference(Tensor x, Tensor cos, Tensor sin) {
        long half = x.size(3) / 2;
        Tensor x1 = x.narrow(3, 0, half), x2 = x.narrow(3, half, half);
        Tensor rotated = torch.cat(new TensorVector(x2.neg(), x1), 3);
        return x.mul(cos).add(rotated.mul(sin));
    }

    /** RMSNorm over the last dimension: weight · x / √(mean(x²) + eps). */
    static Tensor rmsNorm(Tensor x, Tensor weight, double eps) {
        long d = x.size(x.dim() - 1);
        if (!CpuKernels.takes(x, weight) || weight.numel() != d) return rmsNormReference(x, weight, eps);
        Tensor in = x.contiguous(), w = weight.contiguous();
        Tensor out = torch.empty_like(in);
        long xAt = in.data_ptr().address(), wAt = w.data_ptr().address(), oAt = out.data_ptr().address();
        long rows = in.numel() / d;
        CpuKernels.split("rms norm", rows, in.numel(), Activations.MIN_ELEMENTS_PER_PART, (from, to) -> CpuKernels.rmsNorm(xAt, wAt, oAt, d, (float) eps, from, to));
        return out;
    }

    static Tensor rmsNormReference(Tensor x, Tensor weight, double eps) {
        return torch.rms_norm(x, new long[] {x.size(x.dim() - 1)}, new TensorOptional(weight), new DoubleOptional(eps));
    }
}
