package dev.raftj.config;

import com.fasterxml.jackson.annotation.JsonProperty;
import dev.raftj.lora.LoraConfig;
import dev.raftj.train.LrSchedule;
import java.nio.file.Path;

/**
 * The supervised fine-tuning run on each stage's kept samples (loss on response tokens only).
 * Defaults follow the RAFT paper where it gives one; task presets pick values for tiny models.
 * A field left out (or null) takes its default.
 *
 * @param epochs         passes over the kept set per stage; default 2 (paper)
 * @param lr             AdamW learning rate; default 2e-5 (paper)
 * @param batchSize      sequences per optimizer step; default 8
 * @param microBatchSize sequences per forward and backward inside a step (gradient accumulation:
 *                       the step's gradient stays the whole batch's mean, the activations in memory
 *                       are one micro-batch's); at most batch_size; default batch_size (one pass)
 * @param gradClip       global gradient-norm clip; 0 = off; default 1.0
 * @param weightDecay    AdamW decoupled weight decay; default 0.0
 * @param lrSchedule     {@code constant}, {@code linear} (to 0) or {@code cosine} (to 0) after
 *                       warm-up, over the stage's steps; default constant
 * @param warmupSteps    linear warm-up steps from 0; default 0
 * @param resetOptimizer start each stage with fresh AdamW moments; default false (carry them over)
 * @param dropout        dropout probability during fine-tuning for every dropout site of the model;
 *                       unset means the checkpoint's own (GPT-2: resid/embd/attn_pdrop, Llama and
 *                       Qwen2: attention_dropout); generation, scoring and evaluation never drop
 * @param lora           train a LoRA adapter ({@link LoraConfig}) instead of every weight, for every
 *                       algorithm's policy; unset means full fine-tuning
 */
public record SftConfig(
        @JsonProperty("epochs") Integer epochs,
        @JsonProperty("lr") Double lr,
        @JsonProperty("batch_size") Integer batchSize,
        @JsonProperty("grad_clip") Double gradClip,
        @JsonProperty("weight_decay") Double weightDecay,
        @JsonProperty("lr_schedule") LrSchedule lrSchedule,
        @JsonProperty("warmup_steps") Integer warmupSteps,
        @JsonProperty("reset_optimizer") Boolean resetOptimizer,
        @JsonProperty("dropout") Double dropout,
        @JsonProperty("lora") LoraConfig lora,
        @JsonProperty("micro_batch_size") Integer microBatchSize) implements Validated {

    public SftConfig {
        epochs = epochs != null ? epochs : 2;
        lr = lr != null ? lr : 2e-5;
        batchSize = batchSize != null ? batchSize : 8;
        gradClip = gradClip != null ? gradClip : 1.0;
        weightDecay = weightDecay != null ? weightDecay : 0.0;
        lrSchedule = lrSchedule != null ? lrSchedule : LrSchedule.CONSTANT;
        warmupSteps = warmupSteps != null ? warmupSteps : 0;
        resetOptimizer = resetOptimizer != null ? resetOptimizer : false;
        microBatchSize = microBatchSize != null ? microBatchSize : batchSize;
    }

    public static SftConfig defaults() {
        return new SftConfig(null, null, null, null, null, null, null, null, null, null, null);
    }

    @Override
    public void validate(Path file) {
        validate(file, "");
    }

    public void validate(Path file, String prefix) {
        Validate.positive(file, Validate.field(prefix, "epochs"), epochs);
        Validate.positive(file, Validate.field(prefix, "lr"), lr);
        Validate.positive(file, Validate.field(prefix, "batch_size"), batchSize);
        Validate.positive(file, Validate.field(prefix, "micro_batch_size"), microBatchSize);
        Validate.check(microBatchSize <= batchSize, file, Validate.field(prefix, "micro_batch_size"),
                "must be at most batch_size (" + batchSize + "), got " + microBatchSize);
        Validate.nonNegative(file, Validate.field(prefix, "grad_clip"), gradClip);
        Validate.nonNegative(file, Validate.field(prefix, "weight_decay"), weightDecay);
        Validate.nonNegative(file, Validate.field(prefix, "warmup_steps"), warmupSteps);
        if (dropout != null) {
            Validate.check(dropout >= 0 && dropout < 1, file, Validate.field(prefix, "dropout"),
                    "must be in [0, 1), got " + dropout);
        }
        if (lora != null) lora.validate(file, Validate.field(prefix, "lora"));
    }
}
