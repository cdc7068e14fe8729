package dev.raftj.diffusion;

import com.fasterxml.jackson.annotation.JsonProperty;
import dev.raftj.config.RankingConfig;
import dev.raftj.config.SftConfig;
import dev.raftj.config.Validate;
import dev.raftj.config.Validated;
import dev.raftj.core.ConfigError;
import java.nio.file.Path;

/**
 * A RAFT run on a class-conditional diffusion model (YAML or JSON; a field left out takes its default).
 *
 * @param model      the diffusion model folder (config.json, scheduler_config.json, model.safetensors)
 * @param reward     an image rule ({@link ImageRewards}): symmetry, brightness:T or lit:N
 * @param classifier a classifier folder ({@link ShapeClassifier}) for the held-out class accuracy; optional
 * @param k          samples drawn per class each stage; default 32
 * @param stages     RAFT stages; default 8
 * @param ranking    local (best m of each class's K) or global (top fraction of all); kl_beta must be 0
 * @param sampling   the sampler of every stage and of the evaluation
 * @param sft        fine-tuning on the kept images with the ε-MSE loss (epochs, lr, batch_size, grad_clip,
 *                   weight_decay, lr_schedule, warmup_steps, reset_optimizer; dropout does not apply)
 * @param labelDropout share of labels replaced by "no label" while fine-tuning (keeps guidance working); default 0.1
 * @param evalPerClass images per class of the fixed-seed evaluation after every stage; default 32
 * @param restraints   prior preservation, an anchor to the base model's ε, a training t-range ({@link Restraints}); default off
 */
public record DiffusionRunConfig(
        @JsonProperty("model") String model,
        @JsonProperty("reward") String reward,
        @JsonProperty("classifier") String classifier,
        @JsonProperty("seed") Long seed,
        @JsonProperty("k") Integer k,
        @JsonProperty("stages") Integer stages,
        @JsonProperty("ranking") RankingConfig ranking,
        @JsonProperty("sampling") Sampling sampling,
        @JsonProperty("sft") SftConfig sft,
        @JsonProperty("label_dropout") Double labelDropout,
        @JsonProperty("eval_per_class") Integer evalPerClass,
        @JsonProperty("restraints") Restraints restraints,
        @JsonProperty("out") String out,
        @JsonProperty("threads") Integer threads) implements Validated {

    /** Stage and evaluation sampling: DDIM (steps, η) or DDPM, guidance scale, images per forward batch. */
    public record Sampling(
            @JsonProperty("method") String method,
            @JsonProperty("steps") Integer steps,
            @JsonProperty("eta") Double eta,
            @JsonProperty("guidance") Double guidance,
            @JsonProperty("batch_size") Integer batchSize) {
        public Sampling {
            method = method != null ? method : Sampler.Spec.DDIM;
            steps = steps != null ? steps : 20;
            eta = eta != null ? eta : 0.0;
            guidance = guidance != null ? guidance : 2.0;
            batchSize = batchSize != null ? batchSize : 64;
        }

        public Sampler.Spec spec() {
            return new Sampler.Spec(method, steps, eta, guidance);
        }
    }

    public DiffusionRunConfig {
        seed = seed != null ? seed : 0L;
        k = k != null ? k : 32;
        stages = stages != null ? stages : 8;
        ranking = ranking != null ? ranking : RankingConfig.defaults();
        sampling = sampling != null ? sampling : new Sampling(null, null, null, null, null);
        sft = sft != null ? sft : SftConfig.defaults();
        labelDropout = labelDropout != null ? labelDropout : 0.1;
        evalPerClass = evalPerClass != null ? evalPerClass : 32;
        restraints = restraints != null ? restraints : Restraints.none();
        threads = threads != null ? threads : 1;
    }

    @Override
    public void validate(Path file) {
        Validate.required(file, "model", model);
        Validate.required(file, "reward", reward);
        ImageRewards.parse(reward, file, "reward");
        Validate.positive(file, "k", k);
        Validate.positive(file, "stages", stages);
        ranking.validate(file, "ranking");
        if (ranking.klBeta() != 0) throw new ConfigError(file, "ranking.kl_beta", "KL-adjusted ranking is for language models; must be 0 here");
        if (ranking.mode() == RankingConfig.Mode.LOCAL && ranking.m() > k) {
            throw new ConfigError(file, "ranking.m", "keeps " + ranking.m() + " of each class's k = " + k + " samples; must be <= k");
        }
        if (!sampling.method().equals(Sampler.Spec.DDIM) && !sampling.method().equals(Sampler.Spec.DDPM)) {
            throw new ConfigError(file, "sampling.method", "'" + sampling.method() + "' is not a sampler (ddim, ddpm)");
        }
        Validate.positive(file, "sampling.steps", sampling.steps());
        Validate.inRange(file, "sampling.eta", sampling.eta(), 0, 1);
        Validate.positive(file, "sampling.guidance", sampling.guidance());
        Validate.positive(file, "sampling.batch_size", sampling.batchSize());
        sft.validate(file, "sft");
        if (sft.dropout() != null) throw new ConfigError(file, "sft.dropout", "the U-Net has no dropout; remove this field");
        Validate.inRange(file, "label_dropout", labelDropout, 0, 1);
        Validate.positive(file, "eval_per_class", evalPerClass);
        restraints.validate(file, "restraints");
        Validate.nonNegative(file, "threads", threads);
    }
}
