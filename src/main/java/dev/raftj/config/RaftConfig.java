package dev.raftj.config;

import com.fasterxml.jackson.annotation.JsonProperty;
import dev.raftj.reward.OnError;
import java.nio.file.Path;

/**
 * An alignment run. RAFT (Dong et al. 2023): N stages of sample K per prompt → score → rank →
 * fine-tune; ReST and ReST-EM use the same fields plus the {@code rest} section. Loaded from YAML or JSON by {@link ConfigLoader}; a field left out (or null) takes its default.
 * Paths are as written; the caller resolves relative ones (the CLI against the config file's folder).
 *
 * @param algorithm     raft, rest or rest-em; default raft
 * @param model         path of the initial policy (a Hugging Face style folder); required
 * @param reward        reward specification, interpreted by the CLI ("exact", "task:NAME",
 *                      "model:PATH"); required
 * @param evalPrompts   path of a held-out prompt file; when set, eval_fraction is not used
 * @param prompts       path of the prompt JSONL file; required
 * @param evalFraction  share of prompts held out for evaluation, in [0, 1); default 0.0
 * @param batchPrompts  prompts per stage, the paper's b; default 2048 (paper)
 * @param stages        number of stages N; default 10
 * @param seed          seed of shuffling, splitting and sampling; default 0
 * @param out           output folder for checkpoints and metrics; default "runs/raft"
 * @param threads       CPU threads for LibTorch; 0 = one per available core; default 0
 * @param device        where the policy, reference and reward model live and train: cpu, cuda or
 *                      cuda:N; default cpu
 * @param sampling      generation settings, {@link SamplingConfig}
 * @param ranking       which samples are kept, {@link RankingConfig}
 * @param sft           the fine-tuning of each stage, {@link SftConfig}
 * @param rest          ReST's Grow/Improve settings, {@link RestConfig}
 * @param onRewardError {@code fail} stops at a reward that throws or returns NaN/±∞;
 *                      {@code drop} skips such samples and counts them; default fail
 */
public record RaftConfig(
        @JsonProperty("algorithm") Algorithm algorithm,
        @JsonProperty("model") String model,
        @JsonProperty("reward") String reward,
        @JsonProperty("prompts") String prompts,
        @JsonProperty("eval_prompts") String evalPrompts,
        @JsonProperty("eval_fraction") Double evalFraction,
        @JsonProperty("batch_prompts") Integer batchPrompts,
        @JsonProperty("stages") Integer stages,
        @JsonProperty("seed") Long seed,
        @JsonProperty("out") String out,
        @JsonProperty("threads") Integer threads,
        @JsonProperty("device") String device,
        @JsonProperty("sampling") SamplingConfig sampling,
        @JsonProperty("ranking") RankingConfig ranking,
        @JsonProperty("sft") SftConfig sft,
        @JsonProperty("rest") RestConfig rest,
        @JsonProperty("on_reward_error") OnError onRewardError) implements Validated {

    /** The loop a run uses; all share this configuration. */
    public enum Algorithm {
        @JsonProperty("raft") RAFT,
        @JsonProperty("rest") REST,
        @JsonProperty("rest-em") @com.fasterxml.jackson.annotation.JsonAlias("rest_em") REST_EM
    }

    public RaftConfig {
        algorithm = algorithm != null ? algorithm : Algorithm.RAFT;
        rest = rest != null ? rest : RestConfig.defaults();
        evalFraction = evalFraction != null ? evalFraction : 0.0;
        batchPrompts = batchPrompts != null ? batchPrompts : 2048;
        stages = stages != null ? stages : 10;
        seed = seed != null ? seed : 0L;
        out = out != null ? out : "runs/raft";
        threads = threads != null ? threads : 0;
        device = device != null ? device.strip() : "cpu";
        sampling = sampling != null ? sampling : SamplingConfig.defaults();
        ranking = ranking != null ? ranking : RankingConfig.defaults();
        sft = sft != null ? sft : SftConfig.defaults();
        onRewardError = onRewardError != null ? onRewardError : OnError.FAIL;
    }

    @Override
    public void validate(Path file) {
        Validate.required(file, "model", model);
        Validate.required(file, "reward", reward);
        Validate.required(file, "prompts", prompts);
        Validate.fractionBelowOne(file, "eval_fraction", evalFraction);
        Validate.positive(file, "batch_prompts", batchPrompts);
        Validate.positive(file, "stages", stages);
        Validate.required(file, "out", out);
        Validate.nonNegative(file, "threads", threads);
        Validate.check(device.matches("cpu|cuda(:\\d+)?"), file, "device", "must be cpu, cuda or cuda:N, got '" + device + "'");
        sampling.validate(file, "sampling");
        ranking.validate(file, "ranking");
        sft.validate(file, "sft");
        if (algorithm != Algorithm.RAFT) rest.validate(file, "rest", algorithm == Algorithm.REST);
        if (ranking.mode() == RankingConfig.Mode.LOCAL) {
            Validate.check(ranking.m() <= sampling.k(), file, "ranking.m",
                    "must be <= sampling.k (" + sampling.k() + "), got " + ranking.m());
        }
    }
}
