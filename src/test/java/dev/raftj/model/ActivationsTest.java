package dev.raftj.model;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.raftj.kernels.CpuKernels;
import dev.raftj.torch.Torch;
import org.bytedeco.pytorch.InferenceMode;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.Test;

/**
 * The CPU kernels' GELU (tanh) and SiLU · up equal LibTorch's formulas over the float range that
 * matters (|x| up to 40, where tanh and the sigmoid saturate), on more elements than one part, and
 * a forward that needs a gradient keeps LibTorch's op (autograd).
 */
class ActivationsTest {

    @Test
    void geluTanhMatchesLibTorch() {
        try (InferenceMode guard = new InferenceMode()) {
            Tensor x = inputs();
            Tensor got = Activations.geluTanh(x), want = Activations.geluTanhReference(x);
            assertClose(want, got, x, "gelu");
            // a transposed (non-contiguous) input gives the same values
            Tensor t = x.view(1000, 401).t();
            assertClose(Activations.geluTanhReference(t), Activations.geluTanh(t), t, "gelu, transposed");
        }
    }

    @Test
    void siluTimesUpMatchesLibTorch() {
        try (InferenceMode guard = new InferenceMode()) {
            Tensor gate = inputs(), up = torch.randn(gate.size(0)).mul(new Scalar(3));
            assertClose(Activations.siluMulReference(gate, up), Activations.siluMul(gate, up), null, "silu * up");
        }
    }

    @Test
    void keepsAutogradWhenAGradientIsNeeded() {
        Tensor x = torch.randn(64).requires_grad_(true);
        Tensor y = Activations.geluTanh(x).sum();
        y.backward();
        assertTrue(x.grad().defined(), "LibTorch's gelu with its backward");
        Tensor g = torch.randn(64).requires_grad_(true);
        Activations.siluMul(g, torch.randn(64)).sum().backward();
        assertTrue(g.grad().defined(), "LibTorch's silu with its backward");
    }

    @Test
    void kernelsAreThereWhereBuilt() throws java.io.IOException {
        if (OneQueryAttentionTest.cpuKernelsBuilt()) {
            assertTrue(CpuKernels.loaded(), () -> "built but not loaded: " + CpuKernels.loadError());
        }
    }

    /** 401,000 values: a sweep over [-40, 40] and normal samples of scale 3. */
    private static Tensor inputs() {
        Tensor sweep = torch.linspace(new Scalar(-40), new Scalar(40), 200_000, Torch.options(torch.ScalarType.Float, Torch.device("cpu")));
        torch.manual_seed(3);
        return torch.cat(new org.bytedeco.pytorch.TensorVector(sweep, torch.randn(201_000).mul(new Scalar(3))));
    }

    /**
     * Within 4e-7 of the value's size (float32 rounding of two formulas) plus 1e-9, and for GELU
     * 1e-7·|x| more: LibTorch computes 0.5·x·(1 + tanh(u)), whose 1 + tanh(u) cancels for x ≪ 0
     * (at x = -5.7 it gives -0.0 where x·sigmoid(2u), the kernel's form, gives the true -1.0e-9).
     */
    private static void assertClose(Tensor want, Tensor got, Tensor x, String what) {
        float[] w = Torch.toFloats(want.contiguous()), g = Torch.toFloats(got.contiguous());
        float[] in = x == null ? null : Torch.toFloats(x.contiguous());
        for (int i = 0; i < w.length; i++) {
            double bound = 4e-7 * Math.abs(w[i]) + 1e-9 + (in == null ? 0 : 1e-7 * Math.abs(in[i]));
            assertTrue(Math.abs(w[i] - g[i]) <= bound, what + " element " + i + ": " + g[i] + " vs " + w[i]);
        }
    }
}
