package dev.raftj.train;

import dev.raftj.model.CausalLM;
import dev.raftj.model.Positions;
import dev.raftj.torch.Torch;
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

    /**
     * The same loss as {@link #maskedCrossEntropy} on the model's logits, with the vocabulary head
     * run only on the positions whose next label is taken (the responses): at V = 50257 the head is
     * a third of a GPT-2-small step, and the prompt positions' logits were computed only to be
     * ignored. Falls back to the full head when no label is taken (the loss is then NaN, as before).
     */
    public static Tensor maskedCrossEntropy(CausalLM model, Tensor ids, Tensor keyMask, Tensor labels) {
        long b = ids.size(0), t = ids.size(1);
        long[] lab = Torch.toLongs(labels);
        int n = 0;
        for (int i = 0; i < b; i++) for (int j = 1; j < t; j++) if (lab[(int) (i * t + j)] != IGNORE) n++;
        if (n == 0) return maskedCrossEntropy(model.logits(ids, keyMask), labels);
        long[] index = new long[n], target = new long[n];
        for (int i = 0, k = 0; i < b; i++) {
            for (int j = 1; j < t; j++) {
                long y = lab[(int) (i * t + j)];
                if (y == IGNORE) continue;
                index[k] = i * t + j - 1;
                target[k++] = y;
            }
        }
        var device = ids.device();
        Tensor hidden = model.hidden(ids, Positions.fromMask(keyMask), keyMask, null);
        Tensor rows = hidden.reshape(-1, hidden.size(2))
                .index_select(0, Torch.longs(index, n).to(device, torch.ScalarType.Long));
        Tensor logits = model.head(rows).to(torch.ScalarType.Float);
        return torch.cross_entropy_loss(logits, Torch.longs(target, n).to(device, torch.ScalarType.Long),
                new TensorOptional(), 1, IGNORE, 0.0);
    }
}
