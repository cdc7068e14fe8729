package dev.raftj.align;

import dev.raftj.config.RunConfig;
import dev.raftj.core.ConfigError;
import dev.raftj.core.UserError;
import dev.raftj.generate.Generator;
import java.nio.file.Path;

/**
 * The sizes a run configuration implies, multiplied out in 64-bit arithmetic and checked before a
 * run starts: samples per stage (prompts × k), generation's memory per pass, SFT steps per stage
 * and SFT batch memory, stages in all. Each error names the fields to change.
 */
public final class Limits {
    private Limits() {}

    /** Java arrays and lists are int-indexed. */
    static final long MAX_COUNT = Integer.MAX_VALUE - 8;

    /**
     * @param source the configuration file (or flag) named in errors
     */
    public static void check(AlignmentSetup setup, Path source) {
        RunConfig c = setup.config();
        var s = c.sampling();
        long k = s.k();
        boolean raft = c.algorithm() == RunConfig.Algorithm.RAFT;
        long prompts = raft ? c.raft().batchPrompts()
                : c.rest().growPrompts() != null ? Math.min(c.rest().growPrompts(), setup.train().size()) : setup.train().size();
        String promptsField = raft ? "raft.batch_prompts" : c.rest().growPrompts() != null ? "rest.grow_prompts"
                : "prompts (" + setup.train().size() + " training prompts)";
        long perStage = prompts * k + (raft ? 0 : prompts); // ReST adds one reference per prompt at most
        if (perStage > MAX_COUNT) {
            throw new ConfigError(source, "sampling.k", "sampling.k " + k + " × " + promptsField + " " + prompts + " = "
                    + perStage + " samples per stage, more than one stage can hold (" + MAX_COUNT + ")");
        }
        if (!raft && (long) c.rest().growSteps() * c.rest().thresholds().size() > MAX_COUNT) {
            throw new ConfigError(source, "rest.grow_steps", c.rest().growSteps() + " Grow steps × "
                    + c.rest().thresholds().size() + " thresholds is more stages than a run can count");
        }
        // Generation: one pass holds batch_size / k prompts' samples (at least one prompt's k).
        long rows = Math.min(perStage, Math.max(1, s.batchSize() / k) * k);
        int longest = 0;
        for (int[] ids : setup.encode(setup.train())) longest = Math.max(longest, ids.length);
        for (int[] ids : setup.encode(setup.eval())) longest = Math.max(longest, ids.length);
        try {
            new Generator(setup.policy(), s.batchSize()).checkFits(rows, longest, s.maxNewTokens());
        } catch (UserError e) {
            throw new ConfigError(source, rows > s.batchSize() ? "sampling.k" : "sampling.batch_size", e.getMessage()
                    .replace("the batch size, the samples per prompt or the new tokens",
                            "sampling.batch_size, sampling.k or sampling.max_new_tokens"));
        }
        // Fine-tuning: steps per stage, and one batch's logits (and their gradient) in memory.
        long batch = c.sft().batchSize();
        long steps = (perStage + batch - 1) / batch * c.sft().epochs();
        if (steps > MAX_COUNT) {
            throw new ConfigError(source, "sft.epochs", c.sft().epochs() + " epochs × " + (perStage + batch - 1) / batch
                    + " batches of up to " + perStage + " kept samples = " + steps + " steps per stage, more than a stage can count");
        }
        var m = setup.policy().config();
        double logits = 3.0 * Math.min(batch, perStage) * ((double) longest + s.maxNewTokens()) * m.vocabSize * 4;
        double ram = Generator.physicalMemory();
        if (ram > 0 && !setup.policy().device().is_cuda() && logits > ram) {
            throw new ConfigError(source, "sft.batch_size", String.format(java.util.Locale.ROOT,
                    "a training batch of %,d sequences of up to %,d tokens needs about %.1f GiB for its logits and their"
                    + " gradients, more than this machine's %.1f GiB; lower sft.batch_size", Math.min(batch, perStage),
                    longest + s.maxNewTokens(), logits / (1L << 30), ram / (1L << 30)));
        }
    }
}
