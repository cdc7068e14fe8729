package dev.raftj.reward;

import dev.raftj.data.Tokenizer;
import dev.raftj.kernels.Kernels;
import dev.raftj.model.RewardModel;
import dev.raftj.torch.Torch;
import java.util.Arrays;
import java.util.List;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.InferenceMode;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * A Hugging Face reward model as a {@link Reward}: prompt + response are read as one text,
 * right-padded in batches, scored at the last non-pad token. Texts longer than the model's
 * context keep their last tokens (the response end matters most to the score).
 */
public final class ModelReward implements Reward {
    private final RewardModel model;
    private final Tokenizer tokenizer;
    private final Kernels kernels;
    private final int batchSize;

    public ModelReward(RewardModel model, Tokenizer tokenizer) {
        this(model, tokenizer, 64);
    }

    public ModelReward(RewardModel model, Tokenizer tokenizer, int batchSize) {
        this.model = model;
        this.tokenizer = tokenizer;
        this.kernels = Kernels.forDevice(model.device());
        this.batchSize = batchSize;
    }

    @Override
    public String name() {
        return "reward-model";
    }

    @Override
    public double[] score(List<String> prompts, List<String> responses) {
        Reward.checkSameLength(prompts, responses);
        double[] out = new double[prompts.size()];
        int context = model.config().maxPositions;
        int pad = Math.max(model.config().padTokenId, 0);
        for (int start = 0; start < out.length; start += batchSize) {
            int n = Math.min(batchSize, out.length - start);
            int[][] rows = new int[n][];
            int width = 1;
            for (int i = 0; i < n; i++) {
                int[] ids = tokenizer.encode(prompts.get(start + i) + responses.get(start + i));
                if (ids.length > context) ids = Arrays.copyOfRange(ids, ids.length - context, ids.length);
                rows[i] = ids;
                width = Math.max(width, ids.length);
            }
            long[] mask = new long[n * width];
            for (int i = 0; i < n; i++) Arrays.fill(mask, i * width, i * width + rows[i].length, 1);
            try (PointerScope scope = new PointerScope(); InferenceMode guard = new InferenceMode()) {
                Tensor ids = Torch.ints2d(rows, width, pad).to(model.device(), ScalarType.Long);
                Tensor m = Torch.longs(mask, n, width).to(model.device(), ScalarType.Long);
                float[] s = Torch.toFloats(model.scores(ids, m, kernels));
                for (int i = 0; i < n; i++) out[start + i] = s[i];
            }
        }
        return out;
    }
}
