package dev.raftj.tasks.build;

import dev.raftj.core.UserError;
import dev.raftj.reward.Reward;
import dev.raftj.tasks.ArithTask;
import dev.raftj.tasks.SentimentStyleTask;
import dev.raftj.tasks.SentimentTask;
import dev.raftj.tasks.Task;
import java.nio.file.Path;
import java.util.Optional;

/**
 * How {@code raftj pretrain} builds a built-in task's models: the base policy's recipe and, for a
 * task whose reward is a model of its own ({@link dev.raftj.tasks.RewardModelTask}), the reward
 * model's recipe. A run never needs this; it reads what the build shipped.
 */
public interface TaskBuild {

    /** How the base policy is built ({@link Pretrainer}). */
    PretrainRecipe policy();

    /** How the reward model is built ({@link RewardModelTrainer}); empty when the task's reward is no model of its own. */
    default Optional<RewardModelRecipe> rewardModel() {
        return Optional.empty();
    }

    /**
     * The reward {@code raftj pretrain} reports the base policy's held-out "accuracy" with, backed by
     * the reward model in {@code rewardDir} (ignored by tasks without a reward model); by default the
     * task's own reward.
     */
    Reward policyReward(Path rewardDir);

    /** The build of a built-in task; a UserError for a task that cannot be built. */
    static TaskBuild of(Task task) {
        if (task instanceof ArithTask arith) return new ArithBuild(arith);
        if (task instanceof SentimentTask sentiment) return new SentimentBuild(sentiment);
        if (task instanceof SentimentStyleTask) {
            throw new UserError("task '" + task.name() + "' has no models of its own to pretrain: its base policy and judge are"
                    + " the sentiment task's (raftj pretrain --task sentiment); its data and untrained discriminator come"
                    + " from dev.raftj.tasks.build.SentimentStyleData");
        }
        throw new UserError("task '" + task.name() + "' cannot be pretrained");
    }
}
