package dev.raftj.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.raftj.kernels.CpuKernels;
import dev.raftj.torch.Torch;
import org.bytedeco.pytorch.InferenceMode;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.Test;

/**
 * The CPU kernel's LayerNorm, alone and with the residual add fused before it, equals LibTorch's
 * add + layer_norm within float rounding, on widths that are and are not multiples of 8, on a
 * non-contiguous input, off-centre rows (mean ≫ spread); with a gradient the LibTorch ops keep autograd.
 */
class LayerNormTest {

    @Test
    void matchesLibTorchWithAndWithoutTheResidual() throws java.io.IOException {
        if (OneQueryAttentionTest.cpuKernelsBuilt()) assertTrue(CpuKernels.loaded(), "built, so the kernel must run here");
        try (InferenceMode guard = new InferenceMode()) {
            for (long d : new long[] {64, 13, 768}) {
                torch.manual_seed(d);
                Tensor x = torch.randn(33, 3, d).mul(new Scalar(3)).add(new Scalar(5)); // off-centre rows
                Tensor r = torch.randn(33, 3, d), w = torch.randn(d), b = torch.randn(d);
                Tensor[] want = LayerNorm.reference(x, r, w, b, 1e-5), got = LayerNorm.addAndApply(x, r, w, b, 1e-5);
                assertClose(want[0], got[0], "sum, width " + d);
                assertClose(want[1], got[1], "add + norm, width " + d);
                assertClose(LayerNorm.reference(x, null, w, b, 1e-5)[1], LayerNorm.apply(x, w, b, 1e-5), "norm, width " + d);
            }
            Tensor t = torch.randn(16, 5, 64).transpose(0, 1), w = torch.randn(64), b = torch.randn(64); // not contiguous
            assertClose(LayerNorm.reference(t, null, w, b, 1e-5)[1], LayerNorm.apply(t, w, b, 1e-5), "transposed input");
            Tensor tiny = torch.randn(4, 64).mul(new Scalar(1e-3)); // variance ~1e-6: eps matters
            assertClose(LayerNorm.reference(tiny, null, w, b, 1e-5)[1], LayerNorm.apply(tiny, w, b, 1e-5), "eps");
        }
    }

    @Test
    void keepsAutogradWhenAGradientIsNeeded() {
        Tensor x = torch.randn(4, 8).requires_grad_(true), r = torch.randn(4, 8);
        Tensor[] out = LayerNorm.addAndApply(x, r, torch.ones(8), torch.zeros(8), 1e-5);
        out[1].sum().backward();
        assertTrue(x.grad().defined());
    }

    private static void assertClose(Tensor want, Tensor got, String what) {
        assertArrayEquals(Torch.shape(want), Torch.shape(got));
        float[] w = Torch.toFloats(want.contiguous()), g = Torch.toFloats(got.contiguous());
        for (int i = 0; i < w.length; i++) {
            assertTrue(Math.abs(w[i] - g[i]) <= 5e-6 * (1 + Math.abs(w[i])), what + " element " + i + ": " + g[i] + " vs " + w[i]);
        }
    }
}
