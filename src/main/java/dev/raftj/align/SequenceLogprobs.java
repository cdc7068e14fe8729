package dev.raftj.align;

import dev.raftj.model.CausalLM;
import dev.raftj.torch.Torch;
import java.util.ArrayList;
import java.util.List;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.InferenceMode;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/** log π(response | prompt) summed over response tokens, by one teacher-forced forward per batch. */
public final class SequenceLogprobs {
    private SequenceLogprobs() {}

    public static double[] of(CausalLM model, List<int[]> prompts, List<int[]> responses, int batchSize) {
        double[] out = new double[prompts.size()];
        int pad = Math.max(model.config().padTokenId, 0);
        for (int start = 0; start < out.length; start += batchSize) {
            int end = Math.min(out.length, start + batchSize);
            try (PointerScope scope = new PointerScope(); InferenceMode guard = new InferenceMode()) {
                TokenBatch b = TokenBatch.of(new ArrayList<>(prompts.subList(start, end)),
                        new ArrayList<>(responses.subList(start, end)), pad, model.device());
                long t = b.ids().size(1);
                Tensor logp = torch.log_softmax(model.logits(b.ids(), b.mask()).to(torch.ScalarType.Float), 2)
                        .narrow(1, 0, t - 1);
                Tensor targets = b.labels().narrow(1, 1, t - 1);
                Tensor valid = targets.ne(new org.bytedeco.pytorch.Scalar(-100));
                Tensor safe = targets.masked_fill(valid.logical_not(), new org.bytedeco.pytorch.Scalar(0));
                Tensor picked = logp.gather(2, safe.unsqueeze(2)).squeeze(2).mul(valid.to(torch.ScalarType.Float));
                float[] sums = Torch.toFloats(picked.sum(new long[] {1}, false, null));
                for (int i = start; i < end; i++) out[i] = sums[i - start];
            }
        }
        return out;
    }
}
