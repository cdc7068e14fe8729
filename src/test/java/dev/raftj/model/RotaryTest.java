package dev.raftj.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.raftj.torch.Torch;
import org.bytedeco.pytorch.InferenceMode;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.Test;

/**
 * The CPU kernels' rotary embedding and RMSNorm equal the LibTorch ops (HF's rotate_half, rms_norm)
 * on a projection's transposed view, one position (decode) and several (prefill), within float
 * rounding (a multiply and an add may fuse); with a gradient the LibTorch ops keep autograd.
 */
class RotaryTest {

    @Test
    void rotaryMatchesTheLibTorchFormula() {
        try (InferenceMode guard = new InferenceMode()) {
            for (long t : new long[] {1, 7}) {
                torch.manual_seed(8 + t);
                long b = 33, h = 4, d = 16;
                Tensor x = torch.randn(b, t, h, d).transpose(1, 2); // as q and k come out of their projections
                Tensor angle = torch.randn(b, 1, t, d).mul(new Scalar(3));
                Tensor cos = angle.cos(), sin = angle.sin();
                assertClose(Rotary.reference(x, cos, sin), Rotary.apply(x, cos, sin), "rotary, T " + t);
            }
        }
    }

    @Test
    void rmsNormMatchesLibTorch() {
        try (InferenceMode guard = new InferenceMode()) {
            torch.manual_seed(9);
            Tensor x = torch.randn(300, 1, 64).mul(new Scalar(4)), w = torch.randn(64);
            assertClose(Rotary.rmsNormReference(x, w, 1e-6), Rotary.rmsNorm(x, w, 1e-6), "rms norm");
            Tensor odd = torch.randn(5, 3, 13); // a width that is not a multiple of 8
            Tensor w13 = torch.randn(13);
            assertClose(Rotary.rmsNormReference(odd, w13, 1e-5), Rotary.rmsNorm(odd, w13, 1e-5), "rms norm, width 13");
        }
    }

    @Test
    void keepsAutogradWhenAGradientIsNeeded() {
        Tensor x = torch.randn(2, 3, 1, 8).requires_grad_(true);
        Tensor cos = torch.randn(2, 1, 1, 8), sin = torch.randn(2, 1, 1, 8);
        Rotary.apply(x, cos, sin).sum().backward();
        assertTrue(x.grad().defined());
        Tensor y = torch.randn(4, 8).requires_grad_(true);
        Rotary.rmsNorm(y, torch.ones(8), 1e-6).sum().backward();
        assertTrue(y.grad().defined());
    }

    private static void assertClose(Tensor want, Tensor got, String what) {
        assertArrayEquals(Torch.shape(want), Torch.shape(got));
        float[] w = Torch.toFloats(want.contiguous()), g = Torch.toFloats(got.contiguous());
        for (int i = 0; i < w.length; i++) {
            assertTrue(Math.abs(w[i] - g[i]) <= 2e-6 * (1 + Math.abs(w[i])), what + " element " + i + ": " + g[i] + " vs " + w[i]);
        }
    }
}
