package dev.raftj.config;

import com.fasterxml.jackson.annotation.JsonProperty;
import dev.raftj.train.Advantages;
import dev.raftj.train.PolicyLosses;
import java.nio.file.Path;

/**
 * The {@code grpo:} section (Shao et al. 2024, as TRL's GRPOTrainer has it), read when
 * {@code algorithm} is {@code grpo}. Each stage draws K = sampling.k responses for each of b
 * prompts, turns the rewards into group-relative advantages (r − mean of the prompt's K)/(std +
 * 1e-4), and takes {@code iterations} × {@code minibatches} AdamW steps on the clipped ratio loss,
 * the ratio against the sampling policy (log-probabilities recomputed teacher-forced before the
 * first step), plus β·k3 KL to the initial policy when β &gt; 0. No dropout in these steps. A field
 * left out (or null) takes its default.
 *
 * @param stages          number of stages; default 10
 * @param batchPrompts    prompts per stage (each gets sampling.k responses); default 64
 * @param lr              AdamW learning rate; default 1e-6 (TRL)
 * @param gradClip        global gradient-norm clip; 0 = off; default 1.0
 * @param weightDecay     AdamW decoupled weight decay; default 0.0
 * @param iterations      passes over each stage's samples, TRL's num_iterations (μ); default 1
 * @param minibatches     optimizer steps per pass (the samples split evenly, shuffled); default 1
 * @param epsilon         lower clip ε of the ratio, 1 − ε; default 0.2
 * @param epsilonHigh     upper clip, 1 + ε_high; default: epsilon (DAPO suggests 0.28)
 * @param beta            weight of the k3 KL to the initial policy; 0 = no reference forward; default 0.0
 * @param scaleRewards    {@code group} (divide by the group's std), {@code batch} (the batch's) or
 *                        {@code none} (Dr. GRPO); default group
 * @param lossAggregation {@code token} (mean over all tokens of a minibatch, TRL's default) or
 *                        {@code sequence} (mean per response, then over responses: the GRPO paper);
 *                        default token
 */
public record GrpoConfig(
        @JsonProperty("stages") Integer stages,
        @JsonProperty("batch_prompts") Integer batchPrompts,
        @JsonProperty("lr") Double lr,
        @JsonProperty("grad_clip") Double gradClip,
        @JsonProperty("weight_decay") Double weightDecay,
        @JsonProperty("iterations") Integer iterations,
        @JsonProperty("minibatches") Integer minibatches,
        @JsonProperty("epsilon") Double epsilon,
        @JsonProperty("epsilon_high") Double epsilonHigh,
        @JsonProperty("beta") Double beta,
        @JsonProperty("scale_rewards") ScaleRewards scaleRewards,
        @JsonProperty("loss_aggregation") Aggregation lossAggregation) {

    public enum ScaleRewards {
        @JsonProperty("group") GROUP,
        @JsonProperty("batch") BATCH,
        @JsonProperty("none") NONE;

        public Advantages.Scale scale() {
            return Advantages.Scale.valueOf(name());
        }
    }

    /** How per-token losses are averaged (see {@link PolicyLosses.Aggregation}). */
    public enum Aggregation {
        @JsonProperty("token") TOKEN,
        @JsonProperty("sequence") SEQUENCE;

        public PolicyLosses.Aggregation aggregation() {
            return PolicyLosses.Aggregation.valueOf(name());
        }
    }

    public GrpoConfig {
        stages = stages != null ? stages : 10;
        batchPrompts = batchPrompts != null ? batchPrompts : 64;
        lr = lr != null ? lr : 1e-6;
        gradClip = gradClip != null ? gradClip : 1.0;
        weightDecay = weightDecay != null ? weightDecay : 0.0;
        iterations = iterations != null ? iterations : 1;
        minibatches = minibatches != null ? minibatches : 1;
        epsilon = epsilon != null ? epsilon : 0.2;
        epsilonHigh = epsilonHigh != null ? epsilonHigh : epsilon;
        beta = beta != null ? beta : 0.0;
        scaleRewards = scaleRewards != null ? scaleRewards : ScaleRewards.GROUP;
        lossAggregation = lossAggregation != null ? lossAggregation : Aggregation.TOKEN;
    }

    public static GrpoConfig defaults() {
        return new GrpoConfig(null, null, null, null, null, null, null, null, null, null, null, null);
    }

    public void validate(Path file, String prefix, int k) {
        Validate.policyUpdate(file, prefix, stages, batchPrompts, lr, gradClip, weightDecay, minibatches, k);
        Validate.positive(file, Validate.field(prefix, "iterations"), iterations);
        Validate.check(epsilon > 0 && epsilon < 1, file, Validate.field(prefix, "epsilon"), "must be in (0, 1), got " + epsilon);
        Validate.positive(file, Validate.field(prefix, "epsilon_high"), epsilonHigh);
        Validate.nonNegative(file, Validate.field(prefix, "beta"), beta);
        Validate.check(k >= 2, file, "sampling.k", "grpo compares each prompt's samples with one another: needs k >= 2, got " + k);
    }
}
