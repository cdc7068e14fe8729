package dev.raftj.diffusion;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * One line of a diffusion run's metrics.jsonl. Stage 0 is the base model's evaluation (no samples
 * drawn for training, no fine-tuning).
 *
 * @param rewardMean     mean reward of the stage's K samples per class
 * @param rewardKeptMean mean reward of the kept ones
 * @param loss           mean ε-MSE of the stage's fine-tuning steps
 * @param evalReward     mean reward of the fixed-seed evaluation samples
 * @param evalAccuracy   share of evaluation samples the held-out classifier names as the class asked for
 * @param evalDiversity  mean pairwise L2 distance between evaluation samples of one class, averaged over classes
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record DiffusionStageMetrics(
        @JsonProperty("stage") int stage,
        @JsonProperty("reward_mean") Double rewardMean,
        @JsonProperty("reward_kept_mean") Double rewardKeptMean,
        @JsonProperty("kept") Integer kept,
        @JsonProperty("loss") Double loss,
        @JsonProperty("eval_reward") double evalReward,
        @JsonProperty("eval_accuracy") Double evalAccuracy,
        @JsonProperty("eval_diversity") double evalDiversity,
        @JsonProperty("seconds") double seconds) {

    /** The same line without its wall time (what a resumed run reproduces bit for bit). */
    public DiffusionStageMetrics withoutTime() {
        return new DiffusionStageMetrics(stage, rewardMean, rewardKeptMean, kept, loss, evalReward, evalAccuracy, evalDiversity, 0);
    }
}
