package dev.raftj.train;

import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptional;
import org.bytedeco.pytorch.global.torch;

/** Supervised fine-tuning loss: next-token cross-entropy over labels ≠ −100, as HF computes it. */
public final class SftLoss {
    public static final long IGNORE = -100;

    private SftLoss() {}

    /**
     * Mean cross-entropy of logits [B, T, V] against labels [B, T], shifted by one inside
     * (position t predicts label t+1); labels equal to −100 (prompt, padding) are ignored.
     */
    public static Tensor maskedCrossEntropy(Tensor logits, Tensor labels) {
        long b = logits.size(0), t = logits.size(1), v = logits.size(2);
        Tensor shiftedLogits = logits.narrow(1, 0, t - 1).reshape(b * (t - 1), v).to(torch.ScalarType.Float);
        Tensor shiftedLabels = labels.narrow(1, 1, t - 1).reshape(b * (t - 1));
        // reduction 1 = mean over non-ignored targets (at::Reduction::Mean)
        return torch.cross_entropy_loss(shiftedLogits, shiftedLabels, new TensorOptional(), 1, IGNORE, 0.0);
    }
}
