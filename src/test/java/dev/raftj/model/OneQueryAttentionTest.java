package dev.raftj.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.raftj.torch.Torch;
import org.bytedeco.pytorch.DoubleOptional;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptional;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.Test;

/** Decoding's one-query attention (multiply + sum) equals LibTorch's SDPA, padding keys masked. */
class OneQueryAttentionTest {

    @Test
    void matchesScaledDotProductAttention() {
        compare(4);
    }

    @Test
    void matchesGroupedScaledDotProductAttention() {
        compare(2); // 4 query heads over 2 key/value heads (llama-tiny's layout)
    }

    private static void compare(long kvHeads) {
        torch.manual_seed(5);
        long b = 6, h = 4, keys = 9, d = 16;
        Tensor q = torch.randn(b, h, 1, d), k = torch.randn(b, kvHeads, keys, d), v = torch.randn(b, kvHeads, keys, d);
        // left padding: row r has r padding keys, the last key (the new token's own) always visible
        Tensor mask = torch.ones(new long[] {b, 1, 1, keys}, Torch.options(torch.ScalarType.Bool, q.device()));
        for (int r = 0; r < b; r++) if (r > 0) mask.select(0, r).narrow(2, 0, r).fill_(new Scalar(0));
        double scale = 0.25;
        Tensor fast = Backbone.attend(q, k, v, mask, scale, 0.0);
        Tensor ref = torch.scaled_dot_product_attention(q, k, v, new TensorOptional(mask), 0.0, false,
                new DoubleOptional(scale), kvHeads != h).transpose(1, 2).reshape(b, 1, h * d);
        assertArrayEquals(Torch.shape(ref), Torch.shape(fast));
        float[] want = Torch.toFloats(ref), got = Torch.toFloats(fast);
        for (int i = 0; i < want.length; i++) {
            assertTrue(Math.abs(want[i] - got[i]) <= 1e-5 + 1e-5 * Math.abs(want[i]), "element " + i + ": " + got[i] + " vs " + want[i]);
        }
    }
}
