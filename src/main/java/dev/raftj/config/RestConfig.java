package dev.raftj.config;

import com.fasterxml.jackson.annotation.JsonAlias;
import com.fasterxml.jackson.annotation.JsonProperty;
import dev.raftj.reward.OnError;
import dev.raftj.select.ThresholdSchedule;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * A ReST run (Gulcehre et al. 2023): each Grow step samples N responses per prompt once
 * (N = sampling.k) and scores them; then one Improve step per threshold τ fine-tunes on the
 * samples whose reward, normalised to [0, 1] over the Grow set, is ≥ τ. ReST-EM (Singh et al.
 * 2023) instead keeps the samples with a binary reward of 1 and fine-tunes from the base model
 * at every iteration. Loaded by {@link ConfigLoader}; a field left out (or null) takes its default.
 *
 * @param model          path of the initial policy; required
 * @param reward         reward specification, interpreted by the CLI; required
 * @param prompts        path of the prompt JSONL file; required
 * @param evalFraction   share of prompts held out for evaluation, in [0, 1); default 0.0
 * @param growSteps      Grow steps (ReST-EM: iterations); default 1
 * @param thresholds     Improve-step thresholds τ1 &lt; τ2 &lt; … in [0, 1] (rest mode); default
 *                       the paper's 0.0, 0.7, 0.8, 0.9, 0.95
 * @param improveLrDecay Improve step i uses lr · decay^i, in (0, 1]; default 1.0 (no decay)
 * @param mode           {@code rest} or {@code rest-em}; default rest
 * @param seed           seed of shuffling, splitting and sampling; default 0
 * @param out            output folder; default "runs/rest"
 * @param threads        CPU threads for LibTorch; 0 = one per available core; default 0
 * @param sampling       generation settings; its k is N, the samples per prompt of a Grow step
 * @param sft            the fine-tuning of each Improve step (lr is its starting rate)
 * @param onRewardError  {@code fail} or {@code drop}, as in {@link RaftConfig}; default fail
 */
public record RestConfig(
        @JsonProperty("model") String model,
        @JsonProperty("reward") String reward,
        @JsonProperty("prompts") String prompts,
        @JsonProperty("eval_fraction") Double evalFraction,
        @JsonProperty("grow_steps") Integer growSteps,
        @JsonProperty("thresholds") List<Double> thresholds,
        @JsonProperty("improve_lr_decay") Double improveLrDecay,
        @JsonProperty("mode") Mode mode,
        @JsonProperty("seed") Long seed,
        @JsonProperty("out") String out,
        @JsonProperty("threads") Integer threads,
        @JsonProperty("sampling") SamplingConfig sampling,
        @JsonProperty("sft") SftConfig sft,
        @JsonProperty("on_reward_error") OnError onRewardError) implements Validated {

    public enum Mode {
        @JsonProperty("rest") REST,
        @JsonProperty("rest-em") @JsonAlias("rest_em") REST_EM
    }

    public RestConfig {
        evalFraction = evalFraction != null ? evalFraction : 0.0;
        growSteps = growSteps != null ? growSteps : 1;
        thresholds = thresholds != null
                ? Collections.unmodifiableList(new ArrayList<>(thresholds)) // nulls kept for validate
                : ThresholdSchedule.PAPER.thresholds();
        improveLrDecay = improveLrDecay != null ? improveLrDecay : 1.0;
        mode = mode != null ? mode : Mode.REST;
        seed = seed != null ? seed : 0L;
        out = out != null ? out : "runs/rest";
        threads = threads != null ? threads : 0;
        sampling = sampling != null ? sampling : SamplingConfig.defaults();
        sft = sft != null ? sft : SftConfig.defaults();
        onRewardError = onRewardError != null ? onRewardError : OnError.FAIL;
    }

    /** N, the samples per prompt of a Grow step. */
    public int growSamples() {
        return sampling.k();
    }

    /** The thresholds as a schedule (valid after {@link #validate}). */
    public ThresholdSchedule schedule() {
        return new ThresholdSchedule(thresholds);
    }

    @Override
    public void validate(Path file) {
        Validate.required(file, "model", model);
        Validate.required(file, "reward", reward);
        Validate.required(file, "prompts", prompts);
        Validate.fractionBelowOne(file, "eval_fraction", evalFraction);
        Validate.positive(file, "grow_steps", growSteps);
        if (mode == Mode.REST) {
            String problem = ThresholdSchedule.problem(thresholds);
            Validate.check(problem == null, file, "thresholds", problem);
        }
        Validate.fraction(file, "improve_lr_decay", improveLrDecay);
        Validate.required(file, "out", out);
        Validate.nonNegative(file, "threads", threads);
        sampling.validate(file, "sampling");
        sft.validate(file, "sft");
    }
}
