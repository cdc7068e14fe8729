package dev.raftj.config;

import com.fasterxml.jackson.annotation.JsonProperty;
import dev.raftj.train.Advantages;
import java.nio.file.Path;

/**
 * The {@code ppo:} section (RLHF PPO as TRL's PPOTrainer and OpenRLHF have it), read when
 * {@code algorithm} is {@code ppo}. Each stage draws K = sampling.k responses for each of b
 * prompts from the policy (the actor), scores them, and computes per token: log π, log π_ref of
 * the frozen initial policy, the critic's value; the reward −β·KL per token plus the (clipped,
 * missing-EOS-penalised) score on the last token; GAE advantages, whitened over all tokens, and
 * returns. Then {@code epochs} × {@code minibatches} AdamW steps on clipped policy loss +
 * vf_coef · clipped value loss, actor and critic in one optimizer with one gradient clip (TRL).
 * No dropout in these steps. A field left out (or null) takes its default.
 *
 * @param stages            number of stages (rollouts); default 10
 * @param batchPrompts      prompts per rollout (each gets sampling.k responses); default 64
 * @param lr                AdamW learning rate of actor and critic; default 3e-6 (TRL)
 * @param gradClip          global gradient-norm clip over actor and critic; 0 = off; default 1.0
 * @param weightDecay       AdamW decoupled weight decay; default 0.0
 * @param epochs            PPO epochs over each rollout; default 4 (TRL)
 * @param minibatches       optimizer steps per epoch (the rollout split evenly, shuffled); default 1 (TRL)
 * @param clip              ratio clip ε; default 0.2
 * @param valueClip         value clip around the rollout's values; default 0.2 (TRL; OpenRLHF 0.5)
 * @param vfCoef            weight of the value loss; default 0.1 (TRL)
 * @param gamma             discount γ; default 1.0
 * @param lam               GAE λ; default 0.95
 * @param klCoef            β of the per-token KL penalty (the start value when adaptive); default 0.05 (TRL)
 * @param klEstimator       k1, k2 or k3 (see {@link Advantages.KlEstimator}); default k1 (TRL)
 * @param klTarget          set: adapt β toward this KL (mean per-token KL of a rollout) with
 *                          OpenRLHF's controller; unset: fixed β; default unset
 * @param klHorizon         the controller's horizon in samples; default 10000 (OpenRLHF)
 * @param rewardClip        scores are clipped to ±this; unset = no clip; default unset (OpenRLHF uses 10)
 * @param missingEosPenalty subtracted from the score of a response that did not end with
 *                          end-of-sequence; unset = none; default unset
 * @param critic            what the critic starts from: {@code reward} (the reward model: its
 *                          backbone and scalar head, as TRL's examples do), {@code policy} (the
 *                          policy's backbone and a fresh scalar head) or {@code auto} (the reward
 *                          model when the reward is one model that reads the policy's tokens,
 *                          else the policy); default auto
 */
public record PpoConfig(
        @JsonProperty("stages") Integer stages,
        @JsonProperty("batch_prompts") Integer batchPrompts,
        @JsonProperty("lr") Double lr,
        @JsonProperty("grad_clip") Double gradClip,
        @JsonProperty("weight_decay") Double weightDecay,
        @JsonProperty("epochs") Integer epochs,
        @JsonProperty("minibatches") Integer minibatches,
        @JsonProperty("clip") Double clip,
        @JsonProperty("value_clip") Double valueClip,
        @JsonProperty("vf_coef") Double vfCoef,
        @JsonProperty("gamma") Double gamma,
        @JsonProperty("lam") Double lam,
        @JsonProperty("kl_coef") Double klCoef,
        @JsonProperty("kl_estimator") KlEstimator klEstimator,
        @JsonProperty("kl_target") Double klTarget,
        @JsonProperty("kl_horizon") Double klHorizon,
        @JsonProperty("reward_clip") Double rewardClip,
        @JsonProperty("missing_eos_penalty") Double missingEosPenalty,
        @JsonProperty("critic") CriticInit critic) {

    public enum KlEstimator {
        @JsonProperty("k1") K1,
        @JsonProperty("k2") K2,
        @JsonProperty("k3") K3;

        public Advantages.KlEstimator estimator() {
            return Advantages.KlEstimator.valueOf(name());
        }
    }

    public enum CriticInit {
        @JsonProperty("auto") AUTO,
        @JsonProperty("reward") REWARD,
        @JsonProperty("policy") POLICY
    }

    public PpoConfig {
        stages = stages != null ? stages : 10;
        batchPrompts = batchPrompts != null ? batchPrompts : 64;
        lr = lr != null ? lr : 3e-6;
        gradClip = gradClip != null ? gradClip : 1.0;
        weightDecay = weightDecay != null ? weightDecay : 0.0;
        epochs = epochs != null ? epochs : 4;
        minibatches = minibatches != null ? minibatches : 1;
        clip = clip != null ? clip : 0.2;
        valueClip = valueClip != null ? valueClip : 0.2;
        vfCoef = vfCoef != null ? vfCoef : 0.1;
        gamma = gamma != null ? gamma : 1.0;
        lam = lam != null ? lam : 0.95;
        klCoef = klCoef != null ? klCoef : 0.05;
        klEstimator = klEstimator != null ? klEstimator : KlEstimator.K1;
        klHorizon = klHorizon != null ? klHorizon : 10000.0;
        critic = critic != null ? critic : CriticInit.AUTO;
    }

    public static PpoConfig defaults() {
        return new PpoConfig(null, null, null, null, null, null, null, null, null, null, null, null, null, null, null,
                null, null, null, null);
    }

    public void validate(Path file, String prefix, int k) {
        Validate.policyUpdate(file, prefix, stages, batchPrompts, lr, gradClip, weightDecay, minibatches, k);
        Validate.positive(file, Validate.field(prefix, "epochs"), epochs);
        Validate.check(clip > 0 && clip < 1, file, Validate.field(prefix, "clip"), "must be in (0, 1), got " + clip);
        Validate.positive(file, Validate.field(prefix, "value_clip"), valueClip);
        Validate.nonNegative(file, Validate.field(prefix, "vf_coef"), vfCoef);
        Validate.inRange(file, Validate.field(prefix, "gamma"), gamma, 0.0, 1.0);
        Validate.inRange(file, Validate.field(prefix, "lam"), lam, 0.0, 1.0);
        Validate.nonNegative(file, Validate.field(prefix, "kl_coef"), klCoef);
        if (klTarget != null) {
            Validate.positive(file, Validate.field(prefix, "kl_target"), klTarget);
            Validate.check(klCoef > 0, file, Validate.field(prefix, "kl_coef"),
                    "an adaptive β (kl_target set) needs a start value > 0, got " + klCoef);
        }
        Validate.positive(file, Validate.field(prefix, "kl_horizon"), klHorizon);
        if (rewardClip != null) Validate.positive(file, Validate.field(prefix, "reward_clip"), rewardClip);
        if (missingEosPenalty != null) {
            Validate.check(Double.isFinite(missingEosPenalty), file, Validate.field(prefix, "missing_eos_penalty"),
                    "must be a number, got " + missingEosPenalty);
        }
    }
}
