package dev.raftj.align;

import dev.raftj.model.CausalLM;
import dev.raftj.model.Positions;
import dev.raftj.torch.Torch;
import java.util.ArrayList;
import java.util.List;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.InferenceMode;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * log π(response | prompt) summed over response tokens, by one teacher-forced forward per batch.
 * The vocabulary head runs only on the positions that predict a response token, and each
 * log-probability is logit[target] − logsumexp(logits): no [B, T, V] log_softmax is ever made.
 */
public final class SequenceLogprobs {
    /** Head rows per chunk: bounds the [rows, V] logits in memory (~100 MB at V = 50257). */
    static final int HEAD_ROWS = 512;

    private SequenceLogprobs() {}

    public static double[] of(CausalLM model, List<int[]> prompts, List<int[]> responses, int batchSize) {
        double[] out = new double[prompts.size()];
        int pad = Math.max(model.config().padTokenId, 0);
        for (int start = 0; start < out.length; start += batchSize) {
            int end = Math.min(out.length, start + batchSize);
            try (PointerScope scope = new PointerScope(); InferenceMode guard = new InferenceMode()) {
                List<int[]> ps = new ArrayList<>(prompts.subList(start, end));
                List<int[]> rs = new ArrayList<>(responses.subList(start, end));
                TokenBatch b = TokenBatch.of(ps, rs, pad, model.device());
                long t = b.ids().size(1);
                Tensor hidden = model.hidden(b.ids(), Positions.fromMask(b.mask()), b.mask(), null);
                long d = hidden.size(2);
                // Right-padded rows: position p.length − 1 + j predicts response token j (with an
                // empty prompt nothing predicts the first token, which is then not counted, as before).
                int n = 0;
                for (int i = 0; i < rs.size(); i++) n += rs.get(i).length - (ps.get(i).length == 0 && rs.get(i).length > 0 ? 1 : 0);
                long[] index = new long[n], target = new long[n];
                int[] rowOf = new int[n];
                for (int i = 0, k = 0; i < ps.size(); i++) {
                    int[] r = rs.get(i);
                    for (int j = ps.get(i).length == 0 ? 1 : 0; j < r.length; j++, k++) {
                        index[k] = i * t + ps.get(i).length - 1 + j;
                        target[k] = r[j];
                        rowOf[k] = i;
                    }
                }
                double[] sums = new double[ps.size()];
                Tensor flat = hidden.reshape(-1, d);
                for (int c = 0; c < n; c += HEAD_ROWS) {
                    int m = Math.min(HEAD_ROWS, n - c);
                    try (PointerScope chunk = new PointerScope()) {
                        Tensor idx = Torch.longs(java.util.Arrays.copyOfRange(index, c, c + m), m).to(model.device(),
                                torch.ScalarType.Long);
                        Tensor tgt = Torch.longs(java.util.Arrays.copyOfRange(target, c, c + m), m, 1).to(model.device(),
                                torch.ScalarType.Long);
                        Tensor logits = model.head(flat.index_select(0, idx)).to(torch.ScalarType.Float);
                        Tensor lse = logits.logsumexp(new long[] {1}, false);
                        float[] lp = Torch.toFloats(logits.gather(1, tgt).squeeze(1).sub(lse));
                        for (int j = 0; j < m; j++) sums[rowOf[c + j]] += lp[j];
                    }
                }
                System.arraycopy(sums, 0, out, start, sums.length);
            }
        }
        return out;
    }
}
