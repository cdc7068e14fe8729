package dev.raftj.reward;

import dev.raftj.core.UserError;
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
 * right-padded in batches, scored at the last non-pad token. A text longer than the model's
 * context is refused (a {@link UserError} naming the pair and the model's folder) unless a
 * {@link Truncate} side was chosen; an empty text (no tokens) is always refused. A score is
 * returned as the model computed it, NaN and ±∞ included, for {@link RewardGuard} to judge.
 */
public final class ModelReward implements Reward {
    /** What to do with a text longer than the reward model's context. */
    public enum Truncate {
        /** Refuse it (the default: a reward model never scores a text it did not read whole). */
        NONE,
        /** Drop its first tokens (keep the end, where the response is). */
        LEFT,
        /** Drop its last tokens (keep the beginning). */
        RIGHT
    }

    /** Scores and, per pair, how many tokens were cut to fit the context (0 for most). */
    public record Scores(double[] scores, int[] truncated) {}

    private final RewardModel model;
    private final Tokenizer tokenizer;
    private final Kernels kernels;
    private final int batchSize;
    private final Truncate truncate;

    public ModelReward(RewardModel model, Tokenizer tokenizer) {
        this(model, tokenizer, 64);
    }

    public ModelReward(RewardModel model, Tokenizer tokenizer, int batchSize) {
        this(model, tokenizer, batchSize, Truncate.NONE);
    }

    public ModelReward(RewardModel model, Tokenizer tokenizer, int batchSize, Truncate truncate) {
        if (batchSize < 1) throw new IllegalArgumentException("batch size must be >= 1, got " + batchSize);
        this.model = model;
        this.tokenizer = tokenizer;
        this.kernels = Kernels.forDevice(model.device());
        this.batchSize = batchSize;
        this.truncate = truncate;
    }

    /** "model:DIR", as a run configuration names it, so that every error says which model. */
    @Override
    public String name() {
        return "model:" + model.dir();
    }

    @Override
    public double[] score(List<String> prompts, List<String> responses) {
        return scoreDetailed(prompts, responses).scores();
    }

    /** Scores with, per pair, the number of tokens cut (only ever non-zero with a {@link Truncate} side). */
    public Scores scoreDetailed(List<String> prompts, List<String> responses) {
        Reward.checkSameLength(prompts, responses);
        double[] out = new double[prompts.size()];
        int[] cut = new int[prompts.size()];
        int context = model.config().maxPositions;
        int pad = Math.max(model.config().padTokenId, 0);
        for (int start = 0; start < out.length; start += batchSize) {
            int n = Math.min(batchSize, out.length - start);
            int[][] rows = new int[n][];
            int width = 1;
            for (int i = 0; i < n; i++) {
                int pair = start + i;
                int[] ids = tokenizer.encode(prompts.get(pair) + responses.get(pair));
                if (ids.length == 0) {
                    throw new UserError("pair " + (pair + 1) + ": prompt + response is empty (no tokens); reward model "
                            + model.dir() + " has nothing to score");
                }
                if (ids.length > context) {
                    cut[pair] = ids.length - context;
                    ids = switch (truncate) {
                        case LEFT -> Arrays.copyOfRange(ids, ids.length - context, ids.length);
                        case RIGHT -> Arrays.copyOf(ids, context);
                        case NONE -> throw new UserError("pair " + (pair + 1) + ": prompt + response has " + ids.length
                                + " tokens, more than the context of reward model " + model.dir() + " ("
                                + context + " tokens); it is not scored on a part of its text unless asked to"
                                + " (raftj score --truncate left|right)");
                    };
                }
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
        return new Scores(out, cut);
    }
}
