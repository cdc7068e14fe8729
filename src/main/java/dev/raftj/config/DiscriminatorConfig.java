package dev.raftj.config;

import com.fasterxml.jackson.annotation.JsonProperty;
import dev.raftj.reward.RewardSpec;
import java.nio.file.Path;

/**
 * The {@code discriminator:} section (RLGAF, Yu et al. 2023), read when the reward uses
 * {@code adversarial}. The discriminator is an HF sequence-classification model scoring
 * prompt + response; after each stage's policy update it takes {@code steps_per_stage} AdamW steps
 * on balanced batches of reference responses (label 1) vs the stage's fresh policy samples
 * (label 0), binary cross-entropy on its logit. A field left out (or null) takes its default.
 *
 * @param init           {@code policy} (the base policy's body with a fresh seeded head) or the
 *                       folder of a sequence-classification model (e.g. a reward model); default policy
 * @param lr             AdamW learning rate; default 1e-5
 * @param stepsPerStage  discriminator steps after each stage; default 4
 * @param batchSize      examples per step, half real and half generated; even; default 16
 * @param labelSmoothing one-sided label smoothing ε: real targets are 1 − ε; in [0, 1); default 0
 * @param reward         what the policy is paid: {@code logit} or {@code logsigmoid} (log D); default logit
 * @param references     JSONL of {"prompt", "response"} reference pairs; default: the prompts'
 *                       {@code reference} field (training prompts train the discriminator, held-out
 *                       prompts' references are the held-out set)
 * @param heldOut        share of the references file kept out of training for the metrics, in (0, 1); default 0.2
 * @param gradClip       global gradient-norm clip; 0 = off; default 1.0
 * @param weightDecay    AdamW decoupled weight decay; default 0.0
 * @param measure        an independent reward the discriminator never sees, logged per stage on the
 *                       stage's samples (e.g. task:sentiment); optional
 * @param warmupSteps    balanced steps before the first stage, on the base policy's samples (one per
 *                       training prompt) vs the references, so that stage 1 is not ranked by an
 *                       untrained head; default 0
 * @param replay         older stages whose samples stay in the discriminator's fake pool beside the
 *                       fresh ones (experience replay, Shrivastava et al. 2017), so it does not
 *                       forget earlier faults of the policy; default 0 (fresh samples only)
 */
public record DiscriminatorConfig(
        @JsonProperty("init") String init,
        @JsonProperty("lr") Double lr,
        @JsonProperty("steps_per_stage") Integer stepsPerStage,
        @JsonProperty("batch_size") Integer batchSize,
        @JsonProperty("label_smoothing") Double labelSmoothing,
        @JsonProperty("reward") RewardForm reward,
        @JsonProperty("references") String references,
        @JsonProperty("held_out") Double heldOut,
        @JsonProperty("grad_clip") Double gradClip,
        @JsonProperty("weight_decay") Double weightDecay,
        @JsonProperty("measure") RewardSpec measure,
        @JsonProperty("warmup_steps") Integer warmupSteps,
        @JsonProperty("replay") Integer replay) {

    /** What the policy is paid from the discriminator's logit z. */
    public enum RewardForm {
        /** z itself. */
        @JsonProperty("logit") LOGIT,
        /** log σ(z) = log D(x, y) ≤ 0. */
        @JsonProperty("logsigmoid") LOGSIGMOID
    }

    public DiscriminatorConfig {
        init = init != null ? init.strip() : "policy";
        lr = lr != null ? lr : 1e-5;
        stepsPerStage = stepsPerStage != null ? stepsPerStage : 4;
        batchSize = batchSize != null ? batchSize : 16;
        labelSmoothing = labelSmoothing != null ? labelSmoothing : 0.0;
        reward = reward != null ? reward : RewardForm.LOGIT;
        heldOut = heldOut != null ? heldOut : 0.2;
        gradClip = gradClip != null ? gradClip : 1.0;
        weightDecay = weightDecay != null ? weightDecay : 0.0;
        warmupSteps = warmupSteps != null ? warmupSteps : 0;
        replay = replay != null ? replay : 0;
    }

    public static DiscriminatorConfig defaults() {
        return new DiscriminatorConfig(null, null, null, null, null, null, null, null, null, null, null, null, null);
    }

    public void validate(Path file, String prefix) {
        Validate.check(!init.isEmpty(), file, Validate.field(prefix, "init"), "must be 'policy' or a model folder");
        Validate.positive(file, Validate.field(prefix, "lr"), lr);
        Validate.nonNegative(file, Validate.field(prefix, "steps_per_stage"), stepsPerStage);
        Validate.positive(file, Validate.field(prefix, "batch_size"), batchSize);
        Validate.check(batchSize % 2 == 0, file, Validate.field(prefix, "batch_size"),
                "must be even (half references, half policy samples), got " + batchSize);
        Validate.fractionBelowOne(file, Validate.field(prefix, "label_smoothing"), labelSmoothing);
        Validate.check(references == null || !references.isBlank(), file, Validate.field(prefix, "references"), "must not be blank");
        Validate.check(heldOut > 0 && heldOut < 1, file, Validate.field(prefix, "held_out"), "must be in (0, 1), got " + heldOut);
        Validate.nonNegative(file, Validate.field(prefix, "grad_clip"), gradClip);
        Validate.nonNegative(file, Validate.field(prefix, "weight_decay"), weightDecay);
        if (measure != null) measure.validate(file, Validate.field(prefix, "measure"));
        Validate.nonNegative(file, Validate.field(prefix, "warmup_steps"), warmupSteps);
        Validate.nonNegative(file, Validate.field(prefix, "replay"), replay);
    }
}
