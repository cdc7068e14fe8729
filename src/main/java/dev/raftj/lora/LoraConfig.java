package dev.raftj.lora;

import com.fasterxml.jackson.annotation.JsonProperty;
import dev.raftj.config.Validate;
import dev.raftj.model.ModelConfig;
import java.nio.file.Path;
import java.util.List;

/**
 * {@code sft.lora}: train a LoRA adapter instead of the whole policy, with PEFT's semantics. A
 * field left out (or null) takes its default.
 *
 * @param r             rank; default 8
 * @param alpha         lora_alpha; default 8
 * @param dropout       dropout on the adapter's input only (the frozen path never drops); default 0
 * @param targetModules module names (a module matches when its path equals a name or ends with
 *                      "." + name, as PEFT matches a list); unset means PEFT's default for the
 *                      family: GPT-2 {@code c_attn}, Llama and Qwen2 {@code q_proj}, {@code v_proj}
 * @param rslora        scale α/√r (rank-stabilised LoRA) instead of α/r; default false
 * @param init          {@code default}: A kaiming-uniform (a = √5), {@code gaussian}: A ~ N(0, (1/r)²);
 *                      B is zero either way, so a fresh adapter leaves the model unchanged
 * @param adapter       a PEFT adapter folder to continue training (the CLI's {@code align --adapter});
 *                      its own r, lora_alpha, target_modules and use_rslora are used, and the fields
 *                      above other than dropout are ignored; unset means a fresh adapter
 */
public record LoraConfig(
        @JsonProperty("r") Integer r,
        @JsonProperty("alpha") Double alpha,
        @JsonProperty("dropout") Double dropout,
        @JsonProperty("target_modules") List<String> targetModules,
        @JsonProperty("rslora") Boolean rslora,
        @JsonProperty("init") Init init,
        @JsonProperty("adapter") String adapter) {

    public enum Init {
        @JsonProperty("default") DEFAULT,
        @JsonProperty("gaussian") GAUSSIAN
    }

    public LoraConfig {
        r = r != null ? r : 8;
        alpha = alpha != null ? alpha : 8.0;
        dropout = dropout != null ? dropout : 0.0;
        rslora = rslora != null ? rslora : false;
        init = init != null ? init : Init.DEFAULT;
        targetModules = targetModules == null ? null : List.copyOf(targetModules);
    }

    public static LoraConfig defaults() {
        return new LoraConfig(null, null, null, null, null, null, null);
    }

    /** The same settings with these target modules. */
    public LoraConfig withTargets(List<String> targets) {
        return new LoraConfig(r, alpha, dropout, targets, rslora, init, adapter);
    }

    /** The same settings continuing the adapter in {@code dir}. */
    public LoraConfig withAdapter(String dir) {
        return new LoraConfig(r, alpha, dropout, targetModules, rslora, init, dir);
    }

    /** The targets to use for a model of {@code family}: the configured ones or PEFT's default. */
    public List<String> targetsFor(ModelConfig.Family family) {
        if (targetModules != null) return targetModules;
        return family == ModelConfig.Family.GPT2 ? List.of("c_attn") : List.of("q_proj", "v_proj");
    }

    /** The factor on B·A: α/r, or α/√r with rsLoRA. */
    public double scaling() {
        return LoraMath.scaling(alpha, r, rslora);
    }

    public void validate(Path file, String prefix) {
        Validate.positive(file, Validate.field(prefix, "r"), r);
        Validate.positive(file, Validate.field(prefix, "alpha"), alpha);
        Validate.fractionBelowOne(file, Validate.field(prefix, "dropout"), dropout);
        if (targetModules != null) {
            Validate.check(!targetModules.isEmpty(), file, Validate.field(prefix, "target_modules"),
                    "must name at least one module (leave it out for the family's default)");
            Validate.noEmptyStrings(file, Validate.field(prefix, "target_modules"), targetModules);
        }
        if (adapter != null) Validate.required(file, Validate.field(prefix, "adapter"), adapter);
    }
}
