package dev.raftj.model;

import org.bytedeco.pytorch.Tensor;

/** Position ids from an attention mask, as HF generation computes them for padded batches. */
public final class Positions {
    private Positions() {}

    /** cumsum(mask) − 1, with padding positions set to 1 (HF's masked_fill). */
    public static Tensor fromMask(Tensor mask) {
        Tensor m = mask.to(org.bytedeco.pytorch.global.torch.ScalarType.Long);
        Tensor pos = m.cumsum(1).sub(new org.bytedeco.pytorch.Scalar(1));
        return pos.masked_fill(m.eq(new org.bytedeco.pytorch.Scalar(0)), new org.bytedeco.pytorch.Scalar(1));
    }
}
