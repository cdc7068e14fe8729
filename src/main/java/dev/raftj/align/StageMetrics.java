package dev.raftj.align;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.Map;

/**
 * One line of DIR/metrics.jsonl. Stage 0 is the base policy's evaluation (no samples: the sample
 * fields are null); ReST lines also carry their Grow step and threshold.
 *
 * @param stage            1-based stage; 0 = base evaluation
 * @param grow             ReST: the Grow step this Improve step filters (1-based); else null
 * @param threshold        ReST: the Improve step's threshold τ (as configured); else null
 * @param cut              ReST: the reward value τ became (the quantile on quantile scale); else null
 * @param rewardMean       mean reward of the stage's valid samples
 * @param rewardMax        best reward of the stage's valid samples
 * @param rewardKeptMean   mean reward of the kept samples
 * @param kept             samples fine-tuned on
 * @param dropped          samples whose reward failed (on_reward_error: drop)
 * @param filtered         samples a reward filter rejected
 * @param trainLoss        mean loss of the stage's optimizer steps
 * @param distinct1        distinct unigrams of the samples' tokens / all unigrams
 * @param distinct2        the same for bigrams
 * @param responseLength   mean response length in tokens
 * @param evalReward       held-out mean reward, greedy responses, after the stage
 * @param evalRewardSampled held-out mean reward, one sampled response each (the run's sampling)
 * @param evalPerplexity   exp(mean NLL per token) of the held-out reference responses, if any
 * @param kl               KL(π‖π0) after the stage: the mean over held-out prompts of
 *                         log π(y|x) − log π0(y|x) with y drawn from π at temperature 1 without
 *                         filters, both teacher-forced on the same tokens (unbiased, k1)
 * @param seconds          wall time of the stage
 * @param time             seconds per phase (generate, reward, reference, select, train, eval)
 * @param samplesPerSecond samples drawn / stage seconds
 * @param peakRssMiB       peak resident memory of the process so far
 * @param policyLoss       GRPO, PPO: mean clipped policy loss of the stage's optimizer steps (the
 *                         KL term included for GRPO); absent for RAFT and ReST, as are the next
 * @param clipFraction     GRPO, PPO: share of response tokens where the ratio clip was binding
 * @param approxKl         GRPO, PPO: 0.5·mean((log π − log π_old)²) per token, the policy's move
 *                         away from the sampling policy within the stage
 * @param entropy          GRPO, PPO: mean per-token entropy of the policy on the samples
 * @param klRef            GRPO (β &gt; 0), PPO: mean per-token KL estimate to π0 on the samples
 *                         before the update (GRPO: k3; PPO: its kl_estimator)
 * @param fracRewardZeroStd GRPO: share of prompts whose K rewards are all equal (advantage 0)
 * @param valueLoss        PPO: mean clipped value loss
 * @param valueClipFraction PPO: share of tokens where the value clip was binding
 * @param explainedVariance PPO: 1 − Var(returns − values)/Var(returns) of the rollout's critic
 * @param klCoef           PPO: β the stage's rewards were shaped with
 * @param discAccuracy     adversarial reward: the discriminator's balanced accuracy on held-out
 *                         references vs this stage's samples, before it trains on them (0.5 = it
 *                         cannot tell them apart); absent otherwise, as are the next
 * @param discLoss         the same pairs' binary cross-entropy
 * @param discTrainLoss    mean loss of the discriminator's steps after the stage
 * @param discRewardMean   mean discriminator reward (logit or log-sigmoid) of the stage's samples
 * @param refOverlap       share of the samples' word unigrams and bigrams found in the held-out references
 *                         (which the discriminator never sees)
 * @param measureMean      mean of discriminator.measure on the stage's samples, when set
 * @param evalMeasure      mean of discriminator.measure on the sampled held-out responses (eval_reward_sampled's),
 *                         stage 0 (the base policy) included, when set
 */
public record StageMetrics(
        @JsonProperty("stage") int stage,
        @JsonProperty("grow") Integer grow,
        @JsonProperty("threshold") Double threshold,
        @JsonProperty("cut") Double cut,
        @JsonProperty("reward_mean") Double rewardMean,
        @JsonProperty("reward_max") Double rewardMax,
        @JsonProperty("reward_kept_mean") Double rewardKeptMean,
        @JsonProperty("kept") Integer kept,
        @JsonProperty("dropped") Integer dropped,
        @JsonProperty("filtered") Integer filtered,
        @JsonProperty("train_loss") Double trainLoss,
        @JsonProperty("distinct_1") Double distinct1,
        @JsonProperty("distinct_2") Double distinct2,
        @JsonProperty("response_length") Double responseLength,
        @JsonProperty("eval_reward") Double evalReward,
        @JsonProperty("eval_reward_sampled") Double evalRewardSampled,
        @JsonProperty("eval_perplexity") Double evalPerplexity,
        @JsonProperty("kl") Double kl,
        @JsonProperty("seconds") double seconds,
        @JsonProperty("time") Map<String, Double> time,
        @JsonProperty("samples_per_second") Double samplesPerSecond,
        @JsonProperty("peak_rss_mib") double peakRssMiB,
        @JsonProperty("policy_loss") @JsonInclude(JsonInclude.Include.NON_NULL) Double policyLoss,
        @JsonProperty("clip_fraction") @JsonInclude(JsonInclude.Include.NON_NULL) Double clipFraction,
        @JsonProperty("approx_kl") @JsonInclude(JsonInclude.Include.NON_NULL) Double approxKl,
        @JsonProperty("entropy") @JsonInclude(JsonInclude.Include.NON_NULL) Double entropy,
        @JsonProperty("kl_ref") @JsonInclude(JsonInclude.Include.NON_NULL) Double klRef,
        @JsonProperty("frac_reward_zero_std") @JsonInclude(JsonInclude.Include.NON_NULL) Double fracRewardZeroStd,
        @JsonProperty("value_loss") @JsonInclude(JsonInclude.Include.NON_NULL) Double valueLoss,
        @JsonProperty("value_clip_fraction") @JsonInclude(JsonInclude.Include.NON_NULL) Double valueClipFraction,
        @JsonProperty("explained_variance") @JsonInclude(JsonInclude.Include.NON_NULL) Double explainedVariance,
        @JsonProperty("kl_coef") @JsonInclude(JsonInclude.Include.NON_NULL) Double klCoef,
        @JsonProperty("disc_accuracy") @JsonInclude(JsonInclude.Include.NON_NULL) Double discAccuracy,
        @JsonProperty("disc_loss") @JsonInclude(JsonInclude.Include.NON_NULL) Double discLoss,
        @JsonProperty("disc_train_loss") @JsonInclude(JsonInclude.Include.NON_NULL) Double discTrainLoss,
        @JsonProperty("disc_reward_mean") @JsonInclude(JsonInclude.Include.NON_NULL) Double discRewardMean,
        @JsonProperty("ref_overlap") @JsonInclude(JsonInclude.Include.NON_NULL) Double refOverlap,
        @JsonProperty("measure_mean") @JsonInclude(JsonInclude.Include.NON_NULL) Double measureMean,
        @JsonProperty("eval_measure") @JsonInclude(JsonInclude.Include.NON_NULL) Double evalMeasure) {

    /** What a stage's samples and selection came to (null for stage 0). */
    public record Samples(double rewardMean, double rewardMax, double rewardKeptMean, int kept, int dropped,
                          int filtered, double trainLoss, double distinct1, double distinct2, double responseLength,
                          int count) {}

    /** The held-out evaluation after a stage. */
    public record Eval(Double reward, Double rewardSampled, Double perplexity, Double kl, Double measure) {}

    /** ReST's place of an Improve step (null for RAFT). */
    public record Improve(int grow, double threshold, double cut) {}

    /** What a GRPO or PPO stage's optimisation came to (null elsewhere; a field null where it does not apply). */
    public record PolicyGradient(Double policyLoss, Double clipFraction, Double approxKl, Double entropy, Double klRef,
                                 Double fracRewardZeroStd, Double valueLoss, Double valueClipFraction,
                                 Double explainedVariance, Double klCoef) {}

    public static StageMetrics of(int stage, Improve improve, Samples s, Eval e, Timer timer) {
        return of(stage, improve, s, e, timer, null);
    }

    /** What the discriminator of an adversarial run came to in a stage (null elsewhere). */
    public record Adversarial(Double accuracy, Double loss, Double trainLoss, Double rewardMean, Double refOverlap,
                              Double measureMean) {}

    public static StageMetrics of(int stage, Improve improve, Samples s, Eval e, Timer timer, PolicyGradient pg) {
        return of(stage, improve, s, e, timer, pg, null);
    }

    public static StageMetrics of(int stage, Improve improve, Samples s, Eval e, Timer timer, PolicyGradient pg,
                                  Adversarial a) {
        double seconds = timer.total();
        return new StageMetrics(stage, improve == null ? null : improve.grow(),
                improve == null ? null : improve.threshold(), improve == null ? null : improve.cut(),
                s == null ? null : finite(s.rewardMean()), s == null ? null : finite(s.rewardMax()),
                s == null ? null : finite(s.rewardKeptMean()), s == null ? null : s.kept(),
                s == null ? null : s.dropped(), s == null ? null : s.filtered(),
                s == null ? null : finite(s.trainLoss()), s == null ? null : s.distinct1(),
                s == null ? null : s.distinct2(), s == null ? null : s.responseLength(),
                e.reward(), e.rewardSampled(), e.perplexity(), e.kl(), seconds, new java.util.LinkedHashMap<>(timer.split()),
                s == null ? null : s.count() / seconds, Stats.peakRssMiB(),
                pg == null ? null : pg.policyLoss(), pg == null ? null : pg.clipFraction(),
                pg == null ? null : pg.approxKl(), pg == null ? null : pg.entropy(), pg == null ? null : pg.klRef(),
                pg == null ? null : pg.fracRewardZeroStd(), pg == null ? null : pg.valueLoss(),
                pg == null ? null : pg.valueClipFraction(), pg == null ? null : pg.explainedVariance(),
                pg == null ? null : pg.klCoef(),
                a == null ? null : a.accuracy(), a == null ? null : a.loss(), a == null ? null : a.trainLoss(),
                a == null ? null : a.rewardMean(), a == null ? null : a.refOverlap(), a == null ? null : a.measureMean(),
                e.measure());
    }

    /** JSON has no NaN: a mean over nothing is written as null. */
    static Double finite(double x) {
        return Double.isFinite(x) ? x : null;
    }
}
