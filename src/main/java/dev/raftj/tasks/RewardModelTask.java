package dev.raftj.tasks;

import dev.raftj.reward.Reward;
import java.nio.file.Path;

/**
 * A task whose reward is a model that raftj trains itself ({@code raftj pretrain} builds it before
 * the base policy, see {@code dev.raftj.tasks.build.TaskBuild}). The shipped reward model lives in
 * the task's {@code reward/} folder.
 */
public interface RewardModelTask extends Task {

    /** The shipped reward model folder: config.json, model.safetensors, tokenizer.json. */
    Path rewardModel();

    /** The task's reward backed by the reward model in {@code dir} (what {@link #newReward} is for the shipped one). */
    Reward rewardFrom(Path dir);
}
