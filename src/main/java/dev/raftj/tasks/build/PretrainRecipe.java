package dev.raftj.tasks.build;

import dev.raftj.data.Shuffle;
import dev.raftj.model.Initializer;
import java.util.List;

/**
 * How {@code raftj pretrain} builds a task's base policy: a fresh model of these sizes, a
 * byte-level tokenizer with these special tokens (the first is end-of-sequence), then supervised
 * steps on examples drawn from {@link #corpus}, loss on the completion and its end-of-sequence
 * token only. The learning rate warms up linearly for {@code warmupSteps}, then decays on a cosine
 * to {@code minLrFraction}·lr at {@code steps}.
 *
 * @param evalEvery  held-out greedy accuracy is printed every this many steps (0 = only at the end)
 */
public record PretrainRecipe(Initializer.Gpt2Spec model, List<String> specialTokens, long seed, int steps,
                             int batchSize, double lr, int warmupSteps, double minLrFraction,
                             double weightDecay, double clipNorm, int evalEvery, Corpus corpus) {

    /** One training line: the prompt (no loss) and the completion (loss; EOS is appended). */
    public record Example(String prompt, String completion) {}

    /** Draws training lines; all randomness must come from {@code random} (reproducibility). */
    @FunctionalInterface
    public interface Corpus {
        Example next(Shuffle.SplitMix64 random);
    }

    public PretrainRecipe {
        if (steps < 1 || batchSize < 1) throw new IllegalArgumentException("steps and batch size must be >= 1");
        if (!(lr > 0)) throw new IllegalArgumentException("learning rate must be > 0, got " + lr);
        specialTokens = List.copyOf(specialTokens);
    }

    public PretrainRecipe withSteps(int newSteps) {
        return new PretrainRecipe(model, specialTokens, seed, newSteps, batchSize, lr,
                Math.min(warmupSteps, newSteps), minLrFraction, weightDecay, clipNorm, evalEvery, corpus);
    }

    public PretrainRecipe withSeed(long newSeed) {
        return new PretrainRecipe(model, specialTokens, newSeed, steps, batchSize, lr, warmupSteps, minLrFraction,
                weightDecay, clipNorm, evalEvery, corpus);
    }

    public PretrainRecipe withEvalEvery(int every) {
        return new PretrainRecipe(model, specialTokens, seed, steps, batchSize, lr, warmupSteps, minLrFraction,
                weightDecay, clipNorm, every, corpus);
    }

    /** The learning rate at 1-based {@code step}. */
    public double learningRate(int step) {
        if (warmupSteps > 0 && step <= warmupSteps) return lr * step / warmupSteps;
        double span = Math.max(1, steps - warmupSteps);
        double progress = Math.min(1.0, (step - warmupSteps) / span);
        return lr * (minLrFraction + (1 - minLrFraction) * 0.5 * (1 + Math.cos(Math.PI * progress)));
    }
}
