package dev.raftj.tasks.build;

import dev.raftj.data.Prompt;
import dev.raftj.data.PromptDataset;
import dev.raftj.model.Initializer;
import dev.raftj.reward.Reward;
import dev.raftj.tasks.SentimentTask;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The sentiment task's recipes: the reward model (a tiny {@code GPT2ForSequenceClassification} on
 * the shipped labeled sentences) and the base policy (a tiny GPT-2 on the shipped mixed-sentiment
 * corpus), both of {@link #SPEC}'s sizes.
 */
final class SentimentBuild implements TaskBuild {
    /** Both models: vocabulary 258 (2 special tokens + 256 bytes), d=64, 2 layers, 4 heads, context 64. */
    static final Initializer.Gpt2Spec SPEC = new Initializer.Gpt2Spec(258, 64, 2, 4, 64, 0, 0, 1);
    static final List<String> SPECIAL_TOKENS = List.of("<|endoftext|>", "<|pad|>");
    /** Seed of the shipped base policy's initial weights and corpus order. */
    static final long POLICY_SEED = 0;
    /** Seed of the shipped reward model's initial weights and batch order. */
    static final long REWARD_MODEL_SEED = 0;
    /**
     * BPE merges learned from the reward model's training sentences: the classifier reads whole words
     * (with bytes only it stayed near 60% held-out accuracy after 600 steps; with words, 98.6% after 100).
     */
    static final int REWARD_BPE_MERGES = 400;

    private final SentimentTask task;

    SentimentBuild(SentimentTask task) {
        this.task = task;
    }

    @Override
    public PretrainRecipe policy() {
        List<Prompt> corpus = PromptDataset.read(task.corpusFile()).prompts();
        List<PretrainRecipe.Example> lines = new ArrayList<>(corpus.size());
        for (Prompt p : corpus) lines.add(new PretrainRecipe.Example(p.text(), p.field("completion")));
        return new PretrainRecipe(SPEC, SPECIAL_TOKENS,
                POLICY_SEED, /* steps */ 1500, /* batch */ 64, /* lr */ 3e-3, /* warmup */ 100,
                /* min lr fraction */ 0.1, /* weight decay */ 0.01, /* clip */ 1.0, /* eval every */ 500,
                random -> lines.get(random.nextInt(lines.size())));
    }

    @Override
    public Optional<RewardModelRecipe> rewardModel() {
        return Optional.of(new RewardModelRecipe(SPEC, SPECIAL_TOKENS, REWARD_BPE_MERGES,
                REWARD_MODEL_SEED, /* steps */ 400, /* batch */ 64, /* lr */ 2e-3, /* warmup */ 50,
                /* min lr fraction */ 0.1, /* weight decay */ 0.01, /* clip */ 1.0, /* eval every */ 100,
                RewardModelRecipe.readLabeled(task.rewardDataFile(false)),
                RewardModelRecipe.readLabeled(task.rewardDataFile(true))));
    }

    /** Pretraining reports the mean positivity σ(score) in [0, 1] as its "accuracy". */
    @Override
    public Reward policyReward(Path rewardDir) {
        return SentimentTask.positivity(task.rewardFrom(rewardDir));
    }
}
