package dev.raftj.tasks.build;

import dev.raftj.core.UserError;
import dev.raftj.data.BpeTokenizer;
import dev.raftj.data.Prompt;
import dev.raftj.data.Shuffle;
import dev.raftj.model.CausalLM;
import dev.raftj.model.Initializer;
import dev.raftj.reward.Reward;
import dev.raftj.tasks.Task;
import dev.raftj.tasks.TaskEval;
import dev.raftj.torch.Torch;
import dev.raftj.train.SftLoss;
import dev.raftj.train.SftStep;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;
import org.bytedeco.javacpp.PointerScope;

/**
 * Builds a task's base policy from nothing: a byte-level tokenizer, a freshly initialised model
 * ({@link Initializer}) and supervised steps ({@link SftStep}, AdamW) on the recipe's corpus.
 * Everything random comes from the seed: the weights from a seeded LibTorch generator, the corpus
 * from SplitMix64. With one LibTorch thread the result is bit-identical run to run on a machine.
 */
public final class Pretrainer {
    /** Samples per prompt and temperature of the final sampled-accuracy measurement. */
    public static final int SAMPLES = 8;
    public static final double TEMPERATURE = 1.0;
    /** Streams of the recipe's seed ({@link Shuffle#deriveSeed}): the corpus draws, the sampled-accuracy measurement. */
    static final long CORPUS_STREAM = 1, SAMPLED_EVAL_STREAM = 2;

    private Pretrainer() {}

    /**
     * @param firstLoss mean loss over the first logging interval; lastLoss over the last
     */
    public record Result(Path out, int steps, double firstLoss, double lastLoss, TaskEval.Accuracy greedy,
                         TaskEval.Accuracy sampled, double trainSeconds) {}

    /** Trains and writes the checkpoint (config.json, model.safetensors, tokenizer.json, ...) to {@code out}. */
    public static Result run(Task task, PretrainRecipe recipe, Path out, PrintWriter log) {
        return run(task, recipe, out, log, task.newReward());
    }

    /**
     * As {@link #run(Task, PretrainRecipe, Path, PrintWriter)}, measuring held-out "accuracy" (mean
     * reward) with {@code reward} instead of the task's own (e.g. a reward model built just before).
     */
    public static Result run(Task task, PretrainRecipe recipe, Path out, PrintWriter log, Reward reward) {
        BpeTokenizer tokenizer = BpeTokenizer.byteLevel(recipe.specialTokens());
        int eos = tokenizer.tokenId(recipe.specialTokens().get(0)).orElseThrow();
        int pad = recipe.specialTokens().size() > 1 ? tokenizer.tokenId(recipe.specialTokens().get(1)).orElseThrow() : eos;
        if (tokenizer.vocabSize() != recipe.model().vocabSize()) {
            throw new IllegalStateException("recipe vocabulary " + recipe.model().vocabSize()
                    + " != tokenizer's " + tokenizer.vocabSize());
        }
        List<Prompt> eval = task.evalPrompts();
        Path work;
        try {
            work = Files.createTempDirectory("raftj-pretrain-");
        } catch (IOException e) {
            throw new UserError("cannot create a temp folder: " + e.getMessage(), e);
        }
        try {
            tokenizer.save(work.resolve("tokenizer.json"));
            Initializer.gpt2(work, recipe.model(), recipe.seed());
            CausalLM model = CausalLM.load(work);
            log.printf("pretrain %s: %,d parameters, %d steps of %d examples, lr %.2g, seed %d%n", task.name(),
                    recipe.model().parameterCount(), recipe.steps(), recipe.batchSize(), recipe.lr(), recipe.seed());
            Shuffle.SplitMix64 random = new Shuffle.SplitMix64(Shuffle.deriveSeed(recipe.seed(), CORPUS_STREAM));
            int every = recipe.evalEvery() > 0 ? recipe.evalEvery() : recipe.steps();
            double firstLoss = Double.NaN, lastLoss = Double.NaN, sum = 0;
            int count = 0;
            long start = System.nanoTime();
            try (SftStep sft = new SftStep(model, recipe.lr(), recipe.weightDecay(), recipe.clipNorm())) {
                for (int step = 1; step <= recipe.steps(); step++) {
                    sft.setLearningRate(recipe.learningRate(step));
                    try (PointerScope scope = new PointerScope()) {
                        Batch b = batch(recipe, random, tokenizer, eos, pad);
                        SftStep.Result r = sft.step(Torch.longs(b.ids, b.rows, b.width), Torch.longs(b.mask, b.rows, b.width),
                                Torch.longs(b.labels, b.rows, b.width));
                        sum += r.loss();
                        count++;
                    }
                    if (step % every == 0 || step == recipe.steps()) {
                        lastLoss = sum / count;
                        if (Double.isNaN(firstLoss)) firstLoss = lastLoss;
                        sum = 0;
                        count = 0;
                        TaskEval.Accuracy acc = TaskEval.greedy(model, tokenizer, eval, reward, task.maxNewTokens());
                        log.printf("step %6d  loss %.4f  lr %.2e  held-out greedy %5.1f%%  eos %5.1f%%  %.1fs%n", step,
                                lastLoss, recipe.learningRate(step), 100 * acc.accuracy(), 100 * acc.endedByEos(),
                                (System.nanoTime() - start) / 1e9);
                        log.flush();
                    }
                }
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            model.trainable(false);
            TaskEval.Accuracy greedy = TaskEval.greedy(model, tokenizer, eval, reward, task.maxNewTokens());
            TaskEval.Accuracy sampled = TaskEval.sampled(model, tokenizer, eval, reward, task.maxNewTokens(), SAMPLES,
                    TEMPERATURE, Shuffle.deriveSeed(recipe.seed(), SAMPLED_EVAL_STREAM));
            model.save(out);
            log.printf("held-out greedy accuracy %s%n", greedy);
            log.printf("held-out sampled accuracy (temperature %.1f, %d per prompt) %s%n", TEMPERATURE, SAMPLES, sampled);
            log.printf("wrote %s (%.1fs of training)%n", out, seconds);
            log.flush();
            return new Result(out, recipe.steps(), firstLoss, lastLoss, greedy, sampled, seconds);
        } finally {
            deleteTree(work);
        }
    }

    private record Batch(long[] ids, long[] mask, long[] labels, int rows, int width) {}

    private static Batch batch(PretrainRecipe recipe, Shuffle.SplitMix64 random, BpeTokenizer tokenizer, int eos, int pad) {
        int rows = recipe.batchSize();
        int[][] seq = new int[rows][];
        int[] promptLen = new int[rows];
        int width = 0;
        for (int r = 0; r < rows; r++) {
            PretrainRecipe.Example ex = recipe.corpus().next(random);
            int[] p = tokenizer.encode(ex.prompt());
            int[] c = tokenizer.encode(ex.completion());
            int[] s = Arrays.copyOf(p, p.length + c.length + 1);
            System.arraycopy(c, 0, s, p.length, c.length);
            s[s.length - 1] = eos;
            seq[r] = s;
            promptLen[r] = p.length;
            width = Math.max(width, s.length);
        }
        if (width > recipe.model().positions()) {
            throw new IllegalStateException("a training line has " + width + " tokens, more than the context of "
                    + recipe.model().positions());
        }
        long[] ids = new long[rows * width], mask = new long[rows * width], labels = new long[rows * width];
        Arrays.fill(ids, pad);
        Arrays.fill(labels, SftLoss.IGNORE);
        for (int r = 0; r < rows; r++) {
            for (int j = 0; j < seq[r].length; j++) {
                ids[r * width + j] = seq[r][j];
                mask[r * width + j] = 1;
                if (j >= promptLen[r]) labels[r * width + j] = seq[r][j];
            }
        }
        return new Batch(ids, mask, labels, rows, width);
    }

    private static void deleteTree(Path p) {
        try (Stream<Path> s = Files.walk(p)) {
            for (Path q : s.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(q);
        } catch (IOException e) {
            // a leftover temp folder is harmless
        }
    }
}
