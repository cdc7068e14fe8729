package dev.raftj.tasks.build;

import dev.raftj.core.UserError;
import dev.raftj.data.BpeTokenizer;
import dev.raftj.data.Shuffle;
import dev.raftj.kernels.Kernels;
import dev.raftj.kernels.TorchKernels;
import dev.raftj.model.Initializer;
import dev.raftj.model.RewardModel;
import dev.raftj.torch.Torch;
import dev.raftj.train.GradNorm;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.AdamW;
import org.bytedeco.pytorch.AdamWOptions;
import org.bytedeco.pytorch.InferenceMode;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;

/**
 * Builds a task's reward model from nothing: a byte-level tokenizer, a freshly initialised
 * {@code GPT2ForSequenceClassification} ({@link Initializer#gpt2SequenceClassification}) and AdamW
 * steps on binary cross-entropy between {@link RewardModel#scores} (logits, read at the last
 * non-pad token) and the labels. Everything random comes from the recipe's seed, so with one
 * LibTorch thread the result is bit-identical run to run on a machine.
 */
public final class RewardModelTrainer {
    /** Stream of the recipe's seed ({@link Shuffle#deriveSeed}) for epoch e's batch order is this + e. */
    static final long BATCH_ORDER_STREAM = 100;
    /** A BPE merge needs a pair seen at least this often in the training texts. */
    static final int BPE_MIN_FREQUENCY = 2;

    private RewardModelTrainer() {}

    /**
     * Held-out quality of a reward model.
     *
     * @param accuracy     share of held-out texts with label ≠ 0.5 whose score has the label's side (score &gt; 0 ⇔ label &gt; 0.5)
     * @param loss         mean binary cross-entropy over all held-out texts
     * @param meanPositive mean score of texts labeled above 0.5; meanNegative below; meanNeutral exactly 0.5 (NaN if none)
     */
    public record Quality(double accuracy, double loss, double meanPositive, double meanNegative, double meanNeutral,
                          int texts) {
        @Override
        public String toString() {
            return String.format(java.util.Locale.ROOT,
                    "accuracy %.1f%%, loss %.4f, mean score positive %.2f / negative %.2f / neutral %.2f (%d texts)",
                    100 * accuracy, loss, meanPositive, meanNegative, meanNeutral, texts);
        }
    }

    public record Result(Path out, int steps, double firstLoss, double lastLoss, Quality heldOut, double trainSeconds) {}

    /** Trains and writes the reward model (config.json, model.safetensors, tokenizer.json) to {@code out}. */
    public static Result run(RewardModelRecipe recipe, Path out, PrintWriter log) {
        Path work;
        try {
            work = Files.createTempDirectory("raftj-reward-");
        } catch (IOException e) {
            throw new UserError("cannot create a temp folder: " + e.getMessage(), e);
        }
        try {
            BpeTokenizer tokenizer;
            if (recipe.bpeMerges() > 0) {
                List<String> texts = recipe.train().stream().map(RewardModelRecipe.Example::text).toList();
                tokenizer = ByteLevelBpeTrainer.train(texts, recipe.specialTokens(), recipe.bpeMerges(), BPE_MIN_FREQUENCY,
                        work.resolve("tokenizer.json"));
            } else {
                tokenizer = BpeTokenizer.byteLevel(recipe.specialTokens());
                tokenizer.save(work.resolve("tokenizer.json"));
            }
            Initializer.Gpt2Spec spec = recipe.modelWithVocabulary(tokenizer.vocabSize());
            String padToken = recipe.specialTokens().get(recipe.specialTokens().size() > 1 ? 1 : 0);
            int pad = tokenizer.tokenId(padToken).orElseThrow();
            if (pad != spec.padId()) {
                throw new IllegalStateException("pad token " + padToken + " is id " + pad + ", the model spec says "
                        + spec.padId());
            }
            int[][] train = encode(recipe.train(), tokenizer, spec.positions());
            int[][] eval = encode(recipe.eval(), tokenizer, spec.positions());
            Initializer.gpt2SequenceClassification(work, spec, recipe.seed());
            RewardModel model = RewardModel.load(work);
            Kernels kernels = new TorchKernels();
            List<Tensor> params = model.parameters();
            for (Tensor p : params) p.set_requires_grad(true);
            log.printf("reward model: %,d parameters, vocabulary %d, %d steps of %d texts (%d train, %d held out), "
                            + "lr %.2g, seed %d%n", spec.parameterCount() + spec.hidden(), spec.vocabSize(), recipe.steps(),
                    recipe.batchSize(), train.length, eval.length, recipe.lr(), recipe.seed());
            log.flush();
            AdamWOptions options = new AdamWOptions(recipe.lr());
            options.betas().put(0, 0.999).put(1, 0.9); // std::tuple in reverse on libstdc++: (beta2, beta1)
            options.eps().put(1e-8);
            options.weight_decay().put(recipe.weightDecay());
            int every = recipe.evalEvery() > 0 ? recipe.evalEvery() : recipe.steps();
            double firstLoss = Double.NaN, lastLoss = Double.NaN, sum = 0;
            int count = 0, epoch = 0, cursor = 0;
            int[] order = Shuffle.permutation(train.length, Shuffle.deriveSeed(recipe.seed(), BATCH_ORDER_STREAM));
            long start = System.nanoTime();
            try (AdamW optimizer = new AdamW(new TensorVector(params.toArray(new Tensor[0])), options)) {
                for (int step = 1; step <= recipe.steps(); step++) {
                    double lr = recipe.learningRate(step);
                    var groups = optimizer.param_groups();
                    for (long g = 0; g < groups.size(); g++) groups.get(g).options().set_lr(lr);
                    int[] rows = new int[recipe.batchSize()];
                    for (int i = 0; i < rows.length; i++) {
                        if (cursor == order.length) {
                            epoch++;
                            cursor = 0;
                            order = Shuffle.permutation(train.length, Shuffle.deriveSeed(recipe.seed(), BATCH_ORDER_STREAM + epoch));
                        }
                        rows[i] = order[cursor++];
                    }
                    try (PointerScope scope = new PointerScope()) {
                        optimizer.zero_grad();
                        Tensor loss = loss(model, kernels, train, recipe.train(), rows, pad);
                        loss.backward();
                        double norm = GradNorm.global(params);
                        if (recipe.clipNorm() > 0 && norm > recipe.clipNorm()) {
                            GradNorm.scale(params, recipe.clipNorm() / (norm + 1e-6));
                        }
                        optimizer.step();
                        sum += Torch.item(loss);
                        count++;
                    }
                    if (step % every == 0 || step == recipe.steps()) {
                        lastLoss = sum / count;
                        if (Double.isNaN(firstLoss)) firstLoss = lastLoss;
                        sum = 0;
                        count = 0;
                        Quality q = evaluate(model, kernels, eval, recipe.eval(), pad);
                        log.printf(java.util.Locale.ROOT, "step %6d  loss %.4f  lr %.2e  held-out %s  %.1fs%n", step,
                                lastLoss, lr, q, (System.nanoTime() - start) / 1e9);
                        log.flush();
                    }
                }
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            for (Tensor p : params) p.set_requires_grad(false);
            Quality heldOut = evaluate(model, kernels, eval, recipe.eval(), pad);
            model.save(out);
            log.printf("held-out %s%n", heldOut);
            log.printf("wrote %s (%.1fs of training)%n", out, seconds);
            log.flush();
            return new Result(out, recipe.steps(), firstLoss, lastLoss, heldOut, seconds);
        } finally {
            deleteTree(work);
        }
    }

    /** Held-out accuracy, loss and mean scores of {@code model} on labeled texts. */
    public static Quality evaluate(RewardModel model, Kernels kernels, int[][] texts, List<RewardModelRecipe.Example> labels,
                                   int pad) {
        double[] scores = scores(model, kernels, texts, pad);
        double loss = 0, pos = 0, neg = 0, neu = 0;
        int correct = 0, decided = 0, nPos = 0, nNeg = 0, nNeu = 0;
        for (int i = 0; i < scores.length; i++) {
            double s = scores[i], y = labels.get(i).label();
            loss += Math.max(s, 0) - s * y + Math.log1p(Math.exp(-Math.abs(s)));
            if (y > 0.5) {
                pos += s;
                nPos++;
            } else if (y < 0.5) {
                neg += s;
                nNeg++;
            } else {
                neu += s;
                nNeu++;
            }
            if (y != 0.5) {
                decided++;
                if ((s > 0) == (y > 0.5)) correct++;
            }
        }
        return new Quality(decided == 0 ? Double.NaN : (double) correct / decided, loss / Math.max(1, scores.length),
                pos / nPos, neg / nNeg, neu / nNeu, scores.length);
    }

    /** Scores of encoded texts, in batches of 256, without gradients. */
    public static double[] scores(RewardModel model, Kernels kernels, int[][] texts, int pad) {
        double[] out = new double[texts.length];
        for (int start = 0; start < texts.length; start += 256) {
            int n = Math.min(256, texts.length - start);
            int[] rows = new int[n];
            for (int i = 0; i < n; i++) rows[i] = start + i;
            try (PointerScope scope = new PointerScope(); InferenceMode guard = new InferenceMode()) {
                Batch b = batch(texts, rows, pad);
                float[] s = Torch.toFloats(model.scores(b.ids, b.mask, kernels));
                for (int i = 0; i < n; i++) out[start + i] = s[i];
            }
        }
        return out;
    }

    private static Tensor loss(RewardModel model, Kernels kernels, int[][] texts, List<RewardModelRecipe.Example> examples,
                               int[] rows, int pad) {
        Batch b = batch(texts, rows, pad);
        float[] y = new float[rows.length];
        for (int i = 0; i < rows.length; i++) y[i] = (float) examples.get(rows[i]).label();
        Tensor scores = model.scores(b.ids, b.mask, kernels);
        return torch.binary_cross_entropy_with_logits(scores, Torch.floats(y, rows.length));
    }

    private record Batch(Tensor ids, Tensor mask) {}

    /** Right-padded ids and key mask [n, width] of the given rows. */
    private static Batch batch(int[][] texts, int[] rows, int pad) {
        int width = 1;
        for (int r : rows) width = Math.max(width, texts[r].length);
        long[] ids = new long[rows.length * width], mask = new long[rows.length * width];
        Arrays.fill(ids, pad);
        for (int i = 0; i < rows.length; i++) {
            int[] t = texts[rows[i]];
            for (int j = 0; j < t.length; j++) {
                ids[i * width + j] = t[j];
                mask[i * width + j] = 1;
            }
        }
        return new Batch(Torch.longs(ids, rows.length, width), Torch.longs(mask, rows.length, width));
    }

    static int[][] encode(List<RewardModelRecipe.Example> examples, BpeTokenizer tokenizer, int context) {
        int[][] out = new int[examples.size()][];
        for (int i = 0; i < out.length; i++) {
            out[i] = tokenizer.encode(examples.get(i).text());
            if (out[i].length > context) {
                throw new IllegalStateException("a reward text has " + out[i].length + " tokens, more than the context of "
                        + context + ": " + examples.get(i).text());
            }
            if (out[i].length == 0) throw new IllegalStateException("empty reward text at index " + i);
        }
        return out;
    }

    private static void deleteTree(Path p) {
        try (Stream<Path> s = Files.walk(p)) {
            for (Path q : s.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(q);
        } catch (IOException e) {
            // a leftover temp folder is harmless
        }
    }
}
