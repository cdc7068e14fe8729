package dev.raftj.align;

import dev.raftj.model.CausalLM;
import dev.raftj.torch.Torch;
import dev.raftj.train.PolicyLosses;
import java.util.ArrayList;
import java.util.List;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.InferenceMode;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * Prompt + response rows as one right-padded {@link TokenBatch}, with the response tokens laid out
 * response-aligned: column j of row i is response token j of sample i, in [B, R] tensors (R the
 * longest response) that PPO's and GRPO's per-token quantities live in. {@code index} maps column
 * j to the position whose output predicts that token (prompt length − 1 + j), so a model's
 * per-position outputs (log-probabilities of the next token, values) gather into [B, R].
 *
 * @param lengths each row's response length; columns at or past it are padding (mask 0)
 */
public record ResponseTokens(TokenBatch batch, Tensor index, Tensor mask, int[] lengths) {

    public static ResponseTokens of(List<int[]> prompts, List<int[]> responses, int padId, Device device) {
        int n = prompts.size(), width = 1;
        int[] lengths = new int[n];
        for (int i = 0; i < n; i++) {
            lengths[i] = responses.get(i).length;
            width = Math.max(width, lengths[i]);
        }
        long[] index = new long[n * width];
        float[] mask = new float[n * width];
        for (int i = 0; i < n; i++) {
            int p = prompts.get(i).length;
            for (int j = 0; j < lengths[i]; j++) {
                index[i * width + j] = p - 1 + j;
                mask[i * width + j] = 1;
            }
        }
        return new ResponseTokens(TokenBatch.of(prompts, responses, padId, device),
                Torch.longs(index, n, width).to(device, torch.ScalarType.Long),
                Torch.floats(mask, n, width).to(device, torch.ScalarType.Float), lengths);
    }

    /** Per-token log π of the response tokens [B, R] (with gradient when enabled) and, optionally, the entropy [B, R] (without). */
    public record Logprobs(Tensor logp, Tensor entropy) {}

    /** One forward of {@code model} over the batch. */
    public Logprobs logprobs(CausalLM model, boolean withEntropy) {
        Tensor logits = model.logits(batch.ids(), batch.mask()).to(torch.ScalarType.Float);
        long t = logits.size(1);
        Tensor shifted = logits.narrow(1, 0, t - 1);
        Tensor next = batch.ids().narrow(1, 1, t - 1);
        Tensor perPosition = torch.log_softmax(shifted, 2).gather(2, next.unsqueeze(2)).squeeze(2); // [B, T−1]
        Tensor entropy = null;
        if (withEntropy) entropy = gather(PolicyLosses.entropy(shifted.detach()));
        return new Logprobs(gather(perPosition).mul(mask), entropy);
    }

    /** Per-position values [B, T'] (T' ≥ the positions {@code index} names) → [B, R], 0 on padding. */
    public Tensor gather(Tensor perPosition) {
        return perPosition.gather(1, index).mul(mask);
    }

    /** Ragged host rows (row i of length lengths[i]) as a padded [B, R] tensor on the batch's device. */
    public Tensor rows(double[][] values) {
        int n = lengths.length, width = (int) mask.size(1);
        float[] flat = new float[n * width];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < lengths[i]; j++) flat[i * width + j] = (float) values[i][j];
        }
        return Torch.floats(flat, n, width).to(mask.device(), torch.ScalarType.Float);
    }

    /** One value per row, repeated over its tokens: [B, R]. */
    public Tensor perRow(double[] values) {
        double[][] r = new double[lengths.length][];
        for (int i = 0; i < r.length; i++) {
            r[i] = new double[lengths[i]];
            java.util.Arrays.fill(r[i], values[i]);
        }
        return rows(r);
    }

    /** A [B, R] tensor back to ragged host rows. */
    public double[][] ragged(Tensor x) {
        int width = (int) mask.size(1);
        float[] flat = Torch.toFloats(x);
        double[][] out = new double[lengths.length][];
        for (int i = 0; i < out.length; i++) {
            out[i] = new double[lengths[i]];
            for (int j = 0; j < lengths[i]; j++) out[i][j] = flat[i * width + j];
        }
        return out;
    }

    /**
     * Per-token log π of each response under {@code model}, teacher-forced without gradient, in
     * batches of {@code batchSize}: ragged rows of the responses' lengths.
     */
    public static double[][] logprobs(CausalLM model, List<int[]> prompts, List<int[]> responses, int batchSize) {
        double[][] out = new double[prompts.size()][];
        int pad = Math.max(model.config().padTokenId, 0);
        for (int start = 0; start < out.length; start += batchSize) {
            int end = Math.min(out.length, start + batchSize);
            try (PointerScope scope = new PointerScope(); InferenceMode guard = new InferenceMode()) {
                ResponseTokens b = of(new ArrayList<>(prompts.subList(start, end)),
                        new ArrayList<>(responses.subList(start, end)), pad, model.device());
                double[][] rows = b.ragged(b.logprobs(model, false).logp());
                System.arraycopy(rows, 0, out, start, rows.length);
            }
        }
        return out;
    }
}
