package dev.raftj.tasks.build;

import dev.raftj.data.Prompt;
import dev.raftj.model.Initializer;
import dev.raftj.reward.Reward;
import dev.raftj.tasks.ArithTask;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The arith base policy's recipe: a tiny GPT-2 trained from a random init on lines "a+b=c" over the
 * training pairs only, answers drawn by {@link ArithData#pretrainingAnswer}.
 */
final class ArithBuild implements TaskBuild {
    /** Vocabulary 258 (2 special tokens + 256 bytes), d=64, 2 layers, 4 heads, context 32; {@code <|endoftext|>} = 0 is BOS and EOS, {@code <|pad|>} = 1. */
    static final Initializer.Gpt2Spec SPEC = new Initializer.Gpt2Spec(258, 64, 2, 4, 32, 0, 0, 1);
    static final List<String> SPECIAL_TOKENS = List.of("<|endoftext|>", "<|pad|>");
    /** Seed of the initial weights and the corpus of the shipped policy. */
    static final long POLICY_SEED = 0;

    private final ArithTask task;

    ArithBuild(ArithTask task) {
        this.task = task;
    }

    @Override
    public PretrainRecipe policy() {
        List<Prompt> train = task.trainPrompts();
        List<int[]> pairs = new ArrayList<>(train.size());
        for (Prompt p : train) pairs.add(ArithTask.operands(p.text()));
        return new PretrainRecipe(SPEC, SPECIAL_TOKENS,
                POLICY_SEED, /* steps */ 3000, /* batch */ 64, /* lr */ 3e-3, /* warmup */ 100,
                /* min lr fraction */ 0.1, /* weight decay */ 0.01, /* clip */ 1.0, /* eval every */ 500,
                random -> ArithData.example(pairs.get(random.nextInt(pairs.size())), random));
    }

    @Override
    public Reward policyReward(Path rewardDir) {
        return task.newReward();
    }
}
