package dev.raftj.config;

import com.fasterxml.jackson.annotation.JsonAlias;
import com.fasterxml.jackson.annotation.JsonProperty;
import dev.raftj.reward.OnError;
import dev.raftj.reward.RewardSpec;
import java.nio.file.Path;

/**
 * An alignment run: what every algorithm shares (model, reward, data, sampling, fine-tuning) plus
 * one section per algorithm ({@code raft:}, {@code rest:}, {@code grpo:}, {@code ppo:}). Loaded from YAML or JSON by
 * {@link ConfigLoader}; a field left out (or null) takes its default. Paths are as written; the
 * CLI resolves relative ones against the configuration file's folder.
 *
 * @param algorithm     raft, rest, rest-em, grpo or ppo; default raft
 * @param model         path of the initial policy (a Hugging Face style folder); required
 * @param reward        the reward, {@link RewardSpec}: "exact", "task:NAME", "model:DIR", or a
 *                      mapping (weighted sums, regex, length, filters, a user class); required
 * @param prompts       path of the prompt JSONL file; required
 * @param evalPrompts   path of a held-out prompt file; when set, eval_fraction is not used
 * @param evalFraction  share of prompts held out for evaluation, in [0, 1); default 0.0
 * @param seed          seed of shuffling, splitting, sampling and dropout; default 0
 * @param out           output folder; default: the CLI picks runs/NAME-ALGORITHM-TIME
 * @param threads       CPU threads for LibTorch; 0 = one per available core; default 0
 * @param device        where the models live and train: cpu, cuda or cuda:N; default cpu
 * @param sampling      generation settings, {@link SamplingConfig}
 * @param sft           the fine-tuning on kept samples, {@link SftConfig}
 * @param raft          RAFT's stages, batch and ranking, {@link RaftConfig}
 * @param rest          ReST's and ReST-EM's Grow/Improve settings, {@link RestConfig}
 * @param grpo          GRPO's stages, group advantages and clipped loss, {@link GrpoConfig}
 * @param ppo           PPO's rollouts, critic, KL penalty, GAE and losses, {@link PpoConfig}
 * @param discriminator RLGAF's discriminator, for the reward {@code adversarial}, {@link DiscriminatorConfig}
 * @param onRewardError {@code fail} stops at a reward that throws or returns NaN/±∞;
 *                      {@code drop} skips such samples and counts them; default fail
 */
public record RunConfig(
        @JsonProperty("algorithm") Algorithm algorithm,
        @JsonProperty("model") String model,
        @JsonProperty("reward") RewardSpec reward,
        @JsonProperty("prompts") String prompts,
        @JsonProperty("eval_prompts") String evalPrompts,
        @JsonProperty("eval_fraction") Double evalFraction,
        @JsonProperty("seed") Long seed,
        @JsonProperty("out") String out,
        @JsonProperty("threads") Integer threads,
        @JsonProperty("device") String device,
        @JsonProperty("sampling") SamplingConfig sampling,
        @JsonProperty("sft") SftConfig sft,
        @JsonProperty("raft") RaftConfig raft,
        @JsonProperty("rest") RestConfig rest,
        @JsonProperty("on_reward_error") OnError onRewardError,
        @JsonProperty("grpo") GrpoConfig grpo,
        @JsonProperty("ppo") PpoConfig ppo,
        @JsonProperty("discriminator") DiscriminatorConfig discriminator) implements Validated {

    /** The loop a run uses. */
    public enum Algorithm {
        @JsonProperty("raft") RAFT,
        @JsonProperty("rest") REST,
        @JsonProperty("rest-em") @JsonAlias("rest_em") REST_EM,
        @JsonProperty("grpo") GRPO,
        @JsonProperty("ppo") PPO;

        /** The name users write: raft, rest, rest-em, grpo, ppo. */
        public String label() {
            return name().toLowerCase(java.util.Locale.ROOT).replace('_', '-');
        }
    }

    public RunConfig {
        algorithm = algorithm != null ? algorithm : Algorithm.RAFT;
        evalFraction = evalFraction != null ? evalFraction : 0.0;
        seed = seed != null ? seed : 0L;
        threads = threads != null ? threads : 0;
        device = device != null ? device.strip() : "cpu";
        sampling = sampling != null ? sampling : SamplingConfig.defaults();
        sft = sft != null ? sft : SftConfig.defaults();
        raft = raft != null ? raft : RaftConfig.defaults();
        rest = rest != null ? rest : RestConfig.defaults();
        onRewardError = onRewardError != null ? onRewardError : OnError.FAIL;
        grpo = grpo != null ? grpo : GrpoConfig.defaults();
        ppo = ppo != null ? ppo : PpoConfig.defaults();
        discriminator = discriminator != null ? discriminator : DiscriminatorConfig.defaults();
    }

    /** Stages of the run (one metrics line each): RAFT's stages, or Grow steps × Improve steps. */
    public int totalStages() {
        return switch (algorithm) {
            case RAFT -> raft.stages();
            case REST -> rest.growSteps() * rest.thresholds().size();
            case REST_EM -> rest.growSteps();
            case GRPO -> grpo.stages();
            case PPO -> ppo.stages();
        };
    }

    /** The field that sets the run's length (what --stages changes): raft.stages, rest.grow_steps, grpo.stages, ppo.stages. */
    public String stagesField() {
        return stagesField(algorithm);
    }

    /** The field that sets the length of a run of this algorithm. */
    public static String stagesField(Algorithm algorithm) {
        return switch (algorithm) {
            case RAFT -> "raft.stages";
            case REST, REST_EM -> "rest.grow_steps";
            case GRPO -> "grpo.stages";
            case PPO -> "ppo.stages";
        };
    }

    @Override
    public void validate(Path file) {
        Validate.required(file, "model", model);
        Validate.check(reward != null, file, "reward", "required, not set");
        reward.validate(file, "reward");
        Validate.required(file, "prompts", prompts);
        Validate.fractionBelowOne(file, "eval_fraction", evalFraction);
        Validate.check(out == null || !out.isBlank(), file, "out", "must not be blank");
        Validate.nonNegative(file, "threads", threads);
        Validate.check(device.matches("cpu|cuda(:\\d+)?"), file, "device", "must be cpu, cuda or cuda:N, got '" + device + "'");
        sampling.validate(file, "sampling");
        sft.validate(file, "sft");
        switch (algorithm) {
            case RAFT -> raft.validate(file, "raft", sampling.k());
            case REST, REST_EM -> rest.validate(file, "rest", algorithm == Algorithm.REST);
            case GRPO -> grpo.validate(file, "grpo", sampling.k());
            case PPO -> ppo.validate(file, "ppo", sampling.k());
        }
        discriminator.validate(file, "discriminator");
        Validate.check(!reward.usesAdversarial() || algorithm != Algorithm.REST && algorithm != Algorithm.REST_EM, file,
                "reward", "'adversarial' (the discriminator) is trained by the raft, grpo and ppo loops; algorithm is "
                        + algorithm.label());
    }
}
