package dev.raftj.align;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * DIR/summary.json: the base and final held-out figures, sample figures over all stages, time.
 *
 * @param stages                  finished stages
 * @param evalRewardBase          held-out greedy reward of the base policy (stage 0)
 * @param evalRewardFinal         the same after the last stage
 * @param evalRewardSampledBase   held-out sampled reward, base
 * @param evalRewardSampledFinal  held-out sampled reward, last stage
 * @param evalPerplexityFinal     held-out reference perplexity, last stage
 * @param klFinal                 KL(π‖π0) of the final policy (see {@link StageMetrics#kl})
 * @param rewardMean              mean over stages of the sample reward mean
 * @param rewardMax               best sample reward of the run
 * @param rewardKeptMean          mean over stages of the kept reward mean
 * @param distinct1               distinct-1 of the last stage's samples
 * @param distinct2               distinct-2 of the last stage's samples
 * @param responseLength          mean response length of the last stage's samples
 * @param seconds                 wall time summed over stages (this and earlier processes)
 * @param time                    seconds per phase, summed
 * @param peakRssMiB              peak resident memory of this process
 * @param checkpoint              the final policy's folder
 */
public record RunSummary(
        @JsonProperty("stages") int stages,
        @JsonProperty("eval_reward_base") Double evalRewardBase,
        @JsonProperty("eval_reward_final") Double evalRewardFinal,
        @JsonProperty("eval_reward_sampled_base") Double evalRewardSampledBase,
        @JsonProperty("eval_reward_sampled_final") Double evalRewardSampledFinal,
        @JsonProperty("eval_perplexity_final") Double evalPerplexityFinal,
        @JsonProperty("kl_final") Double klFinal,
        @JsonProperty("reward_mean") Double rewardMean,
        @JsonProperty("reward_max") Double rewardMax,
        @JsonProperty("reward_kept_mean") Double rewardKeptMean,
        @JsonProperty("distinct_1") Double distinct1,
        @JsonProperty("distinct_2") Double distinct2,
        @JsonProperty("response_length") Double responseLength,
        @JsonProperty("seconds") double seconds,
        @JsonProperty("time") Map<String, Double> time,
        @JsonProperty("peak_rss_mib") double peakRssMiB,
        @JsonProperty("checkpoint") String checkpoint) {

    /** Summarises a run's metrics lines (stage 0 first). */
    public static RunSummary of(List<StageMetrics> lines, String checkpoint) {
        StageMetrics first = lines.get(0), last = lines.get(lines.size() - 1);
        double seconds = 0, rewardSum = 0, keptSum = 0, max = Double.NEGATIVE_INFINITY;
        int n = 0, nKept = 0;
        Map<String, Double> time = new LinkedHashMap<>();
        for (StageMetrics l : lines) {
            seconds += l.seconds();
            l.time().forEach((k, v) -> time.merge(k, v, Double::sum));
            if (l.rewardMean() != null) {
                rewardSum += l.rewardMean();
                max = Math.max(max, l.rewardMax());
                n++;
            }
            if (l.rewardKeptMean() != null) {
                keptSum += l.rewardKeptMean();
                nKept++;
            }
        }
        return new RunSummary(last.stage(), first.evalReward(), last.evalReward(), first.evalRewardSampled(),
                last.evalRewardSampled(), last.evalPerplexity(), last.kl(), n == 0 ? null : rewardSum / n,
                n == 0 ? null : max, nKept == 0 ? null : keptSum / nKept, last.distinct1(), last.distinct2(),
                last.responseLength(), seconds, time, Stats.peakRssMiB(), checkpoint);
    }
}
