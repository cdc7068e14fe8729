package dev.raftj.tasks;

import dev.raftj.data.Tokenizer;
import dev.raftj.model.RewardModel;
import dev.raftj.reward.ModelReward;
import dev.raftj.reward.Reward;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * {@code sentiment}: continue a review opening ("The movie was") so that it reads positive. The
 * reward is a learned model, a tiny {@code GPT2ForSequenceClassification} (num_labels = 1, byte-level
 * tokenizer, context 64) trained by raftj on shipped labeled sentences; its score is a logit,
 * positive for positive text. The base policy is a tiny GPT-2 of the same sizes pretrained on
 * mixed-sentiment continuations (as many negative as positive, a few neutral), so its samples are
 * mixed and their mean reward sits near the middle. RAFT's job is to raise the held-out reward.
 *
 * <p>Data ({@link #DATA_FILES}, generated from a seed by a template grammar,
 * {@code dev.raftj.tasks.build.SentimentData}): 306 prompts (openings × 34 subjects), 100 of them
 * held out; reward-model sentences, train and held-out; the policy's pretraining corpus over
 * training prompts only.
 *
 * <p>{@code raftj pretrain --task sentiment} builds the reward model (into {@code reward/}) and
 * then the base policy (into {@code policy/}); the recipes are in {@code dev.raftj.tasks.build}.
 */
public final class SentimentTask extends ShippedTask implements RewardModelTask {
    public static final String NAME = "sentiment";
    /** Longest continuation in characters (= byte-level tokens) in the task's data; EOS makes it one more. */
    public static final int MAX_CONTINUATION = 23;

    /** The data files: RAFT prompts, the reward model's labeled sentences, the base policy's corpus. */
    public static final List<String> DATA_FILES = List.of("train.jsonl", "eval.jsonl", "reward_train.jsonl",
            "reward_eval.jsonl", "corpus.jsonl");

    static final List<String> MODEL_FILES = List.of("config.json", "model.safetensors", "tokenizer.json");

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public String description() {
        return "continue a review opening (\"The movie was\") positively; reward: a tiny GPT-2 sentiment "
                + "reward model trained by raftj; tiny GPT-2 base policy with mixed-sentiment continuations";
    }

    @Override
    public Path policy() {
        return shipped("policy", "base policy");
    }

    @Override
    public Path rewardModel() {
        return shipped("reward", "reward model");
    }

    /** The shipped reward-model sentences: {@code eval} the held-out ones. */
    public Path rewardDataFile(boolean eval) {
        return dir().resolve(eval ? "reward_eval.jsonl" : "reward_train.jsonl");
    }

    /** The shipped pretraining corpus of the base policy. */
    public Path corpusFile() {
        return dir().resolve("corpus.jsonl");
    }

    @Override
    public Reward newReward() {
        return rewardFrom(rewardModel());
    }

    @Override
    public Reward newReward(Device device) {
        return rewardOn(rewardModel(), device);
    }

    @Override
    public Reward rewardFrom(Path rewardDir) {
        return rewardOn(rewardDir, new Device("cpu"));
    }

    private static Reward rewardOn(Path dir, Device device) {
        return new ModelReward(RewardModel.load(dir, device, ScalarType.Float), Tokenizer.load(dir));
    }

    /** σ(score) of a reward model's reward: the probability it gives that the text is positive. */
    public static Reward positivity(Reward scores) {
        return new Reward() {
            @Override
            public double[] score(List<String> prompts, List<String> responses) {
                double[] s = scores.score(prompts, responses);
                for (int i = 0; i < s.length; i++) s[i] = 1 / (1 + Math.exp(-s[i]));
                return s;
            }

            @Override
            public String name() {
                return "positivity";
            }
        };
    }

    @Override
    public int maxNewTokens() {
        return MAX_CONTINUATION + 1; // the longest continuation and EOS
    }

    @Override
    List<String> shippedFiles() {
        List<String> files = new ArrayList<>(DATA_FILES);
        files.addAll(under("policy", POLICY_FILES));
        files.addAll(under("reward", MODEL_FILES));
        return files;
    }
}
