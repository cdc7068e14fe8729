package dev.raftj.align;

import dev.raftj.config.DiscriminatorConfig;
import dev.raftj.core.UserError;
import dev.raftj.data.Shuffle;
import dev.raftj.data.Tokenizer;
import dev.raftj.dist.GradientAllReduce;
import dev.raftj.dist.Shards;
import dev.raftj.dist.World;
import dev.raftj.model.ValueModel;
import dev.raftj.reward.Reward;
import dev.raftj.torch.Torch;
import dev.raftj.train.GradNorm;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.AdamW;
import org.bytedeco.pytorch.AdamWOptions;
import org.bytedeco.pytorch.DeviceOptional;
import org.bytedeco.pytorch.InferenceMode;
import org.bytedeco.pytorch.InputArchive;
import org.bytedeco.pytorch.OutputArchive;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * RLGAF's discriminator (Yu et al. 2023): an HF sequence-classification model (body + scalar head,
 * {@link ValueModel} read at the last token) that scores prompt + response as one text, as
 * {@code raftj score} reads a reward model, and learns to tell reference responses (real, label 1)
 * from the policy's samples (fake, label 0): binary cross-entropy on its logit, balanced batches,
 * its own AdamW. As a {@link Reward} it pays the policy its logit or log σ(logit).
 */
public final class Discriminator implements Reward {
    /** The discriminator's folder and optimizer file inside a checkpoint. */
    static final String DIR = "discriminator", OPTIMIZER = "discriminator_optimizer.pt";

    /** A prompt and a response, scored as the one text prompt + response. */
    public record Pair(String prompt, String response) {
        String text() {
            return prompt + response;
        }
    }

    /** Indices of one balanced batch: as many real as fake. */
    public record Batch(int[] real, int[] fake) {}

    /** Binary cross-entropy (no smoothing) and balanced accuracy (mean of the real and fake accuracies). */
    public record Eval(double loss, double accuracy, double realMean, double fakeMean) {}

    private final ValueModel model;
    private final Tokenizer tokenizer;
    private final DiscriminatorConfig config;
    private final Path source;
    private final AdamW optimizer;
    private final List<Tensor> params;
    private World world = World.single();
    private GradientAllReduce sync;

    public Discriminator(ValueModel model, Tokenizer tokenizer, DiscriminatorConfig config, Path source) {
        this.model = model;
        this.tokenizer = tokenizer;
        this.config = config;
        this.source = source;
        this.params = model.parameters();
        for (Tensor p : params) p.set_requires_grad(true);
        AdamWOptions options = new AdamWOptions(config.lr());
        // libstdc++ keeps std::tuple's elements in reverse: beta2 first (see SftStep).
        options.betas().put(0, 0.999).put(1, 0.9);
        options.eps().put(1e-8);
        options.weight_decay().put(config.weightDecay());
        this.optimizer = new AdamW(new TensorVector(params.toArray(new Tensor[0])), options);
    }

    /**
     * The discriminator in {@code dir}: a sequence-classification folder (a reward model, a saved
     * discriminator) or a causal LM whose head is replaced by a fresh one drawn with {@code headSeed};
     * the tokenizer is the folder's.
     */
    public static Discriminator load(Path dir, org.bytedeco.pytorch.Device device, long headSeed, DiscriminatorConfig config) {
        ValueModel m = ValueModel.load(dir, device, headSeed);
        Tokenizer t = Tokenizer.load(dir, m.config().vocabSize, m.config().file);
        return new Discriminator(m, t, config, dir);
    }

    public ValueModel model() {
        return model;
    }

    /**
     * Data parallelism: each step's balanced batch (the same on every rank) is split over the ranks,
     * each takes the loss of its rows and the gradients are all-reduced weighted by rows, so the step
     * is the whole batch's on every rank.
     */
    void setWorld(World world) {
        this.world = world;
        this.sync = world.distributed() ? new GradientAllReduce(world) : null;
    }

    @Override
    public String name() {
        return "adversarial (discriminator from " + source + ")";
    }

    // ---- pure pieces -------------------------------------------------------------------------

    /**
     * The balanced batch of step {@code step}: size/2 real and size/2 fake indices, each drawn
     * without replacement from a permutation of its pool (seeded by (seed, step, side)); a pool
     * smaller than size/2 is cycled through. Deterministic in its arguments.
     */
    public static Batch balancedBatch(int nReal, int nFake, int size, long seed, int step) {
        if (nReal < 1 || nFake < 1) throw new IllegalArgumentException("needs real and fake examples: " + nReal + ", " + nFake);
        if (size < 2 || size % 2 != 0) throw new IllegalArgumentException("batch size must be even and >= 2: " + size);
        long s = Shuffle.deriveSeed(seed, step);
        return new Batch(draw(nReal, size / 2, Shuffle.deriveSeed(s, 1)), draw(nFake, size / 2, Shuffle.deriveSeed(s, 2)));
    }

    private static int[] draw(int n, int count, long seed) {
        int[] perm = Shuffle.permutation(n, seed), out = new int[count];
        for (int i = 0; i < count; i++) out[i] = perm[i % n];
        return out;
    }

    /** BCE targets: nReal × (1 − ε) then nFake × 0 (one-sided label smoothing, Salimans et al. 2016). */
    public static float[] targets(int nReal, int nFake, double smoothing) {
        float[] y = new float[nReal + nFake];
        Arrays.fill(y, 0, nReal, (float) (1 - smoothing));
        return y;
    }

    /** Mean binary cross-entropy of logits [B] against targets [B]. */
    public static Tensor bce(Tensor logits, Tensor targets) {
        return torch.binary_cross_entropy_with_logits(logits, targets);
    }

    /** The policy's reward from a logit z: z, or log σ(z) computed stably. */
    public static double reward(double z, DiscriminatorConfig.RewardForm form) {
        if (form == DiscriminatorConfig.RewardForm.LOGIT) return z;
        return z >= 0 ? -Math.log1p(Math.exp(-z)) : z - Math.log1p(Math.exp(z));
    }

    // ---- the model ---------------------------------------------------------------------------

    /** Logits [B] of texts (right-padded, read at each text's last token; the end kept when too long). */
    Tensor logits(List<String> texts) {
        int context = model.config().maxPositions, pad = Math.max(model.config().padTokenId, 0);
        int n = texts.size(), width = 1;
        int[][] rows = new int[n][];
        for (int i = 0; i < n; i++) {
            int[] ids = tokenizer.encode(texts.get(i));
            if (ids.length == 0) throw new UserError("the discriminator cannot score an empty text (no tokens)");
            if (ids.length > context) ids = Arrays.copyOfRange(ids, ids.length - context, ids.length);
            rows[i] = ids;
            width = Math.max(width, ids.length);
        }
        long[] mask = new long[n * width], last = new long[n];
        for (int i = 0; i < n; i++) {
            Arrays.fill(mask, i * width, i * width + rows[i].length, 1);
            last[i] = rows[i].length - 1;
        }
        var device = model.parameters().get(0).device();
        Tensor ids = Torch.ints2d(rows, width, pad).to(device, ScalarType.Long);
        Tensor m = Torch.longs(mask, n, width).to(device, ScalarType.Long);
        Tensor idx = Torch.longs(last, n, 1).to(device, ScalarType.Long);
        return model.values(ids, m).gather(1, idx).squeeze(1);
    }

    /** Logits of texts without gradient, 64 at a time. */
    double[] logitValues(List<String> texts) {
        double[] out = new double[texts.size()];
        for (int start = 0; start < out.length; start += 64) {
            int end = Math.min(out.length, start + 64);
            try (PointerScope scope = new PointerScope(); InferenceMode guard = new InferenceMode()) {
                float[] z = Torch.toFloats(logits(texts.subList(start, end)));
                for (int i = 0; i < z.length; i++) out[start + i] = z[i];
            }
        }
        return out;
    }

    @Override
    public double[] score(List<String> prompts, List<String> responses) {
        Reward.checkSameLength(prompts, responses);
        List<String> texts = new ArrayList<>(prompts.size());
        for (int i = 0; i < prompts.size(); i++) texts.add(prompts.get(i) + responses.get(i));
        double[] z = logitValues(texts);
        for (int i = 0; i < z.length; i++) z[i] = reward(z[i], config.reward());
        return z;
    }

    /**
     * One AdamW step on BCE(real → 1 − ε, fake → 0) over these texts (real first); returns the loss
     * before the step. A non-finite loss or gradient is not applied.
     */
    public double step(List<String> real, List<String> fake) {
        try (PointerScope scope = new PointerScope()) {
            List<String> texts = new ArrayList<>(real);
            texts.addAll(fake);
            float[] y = targets(real.size(), fake.size(), config.labelSmoothing());
            int[] mine = Shards.range(texts.size(), world.rank(), world.size()); // all of them in one process
            int rows = mine[1] - mine[0];
            optimizer.zero_grad();
            double value = 0;
            if (rows > 0) {
                Tensor loss = bce(logits(texts.subList(mine[0], mine[1])), Torch.floats(Arrays.copyOfRange(y, mine[0], mine[1]),
                        rows).to(params.get(0).device(), ScalarType.Float));
                loss.backward();
                value = Torch.item(loss);
            }
            if (sync != null) value = sync.average(params, value, rows);
            double norm = GradNorm.global(params);
            if (!Double.isFinite(value) || !Double.isFinite(norm)) {
                optimizer.zero_grad();
                throw new UserError(source + ": discriminator training diverged: loss " + value + ", gradient norm " + norm
                        + "; the step was not applied (a lower discriminator.lr may help)");
            }
            if (config.gradClip() > 0 && norm > config.gradClip()) GradNorm.scale(params, config.gradClip() / (norm + 1e-6));
            optimizer.step();
            return value;
        }
    }

    /** {@code steps} balanced steps on real vs fake pairs, seeded by {@code seed}; the mean loss (NaN with no steps). */
    public double train(List<Pair> real, List<Pair> fake, long seed, int steps) {
        double sum = 0;
        for (int s = 0; s < steps; s++) {
            Batch b = balancedBatch(real.size(), fake.size(), config.batchSize(), seed, s);
            List<String> r = new ArrayList<>(), f = new ArrayList<>();
            for (int i : b.real()) r.add(real.get(i).text());
            for (int i : b.fake()) f.add(fake.get(i).text());
            sum += step(r, f);
        }
        return steps == 0 ? Double.NaN : sum / steps;
    }

    /** Loss and balanced accuracy (logit &gt; 0 means real) on real vs fake pairs, without gradient. */
    public Eval evaluate(List<Pair> real, List<Pair> fake) {
        double[] zr = logitValues(real.stream().map(Pair::text).toList()), zf = logitValues(fake.stream().map(Pair::text).toList());
        return evaluate(zr, zf);
    }

    /** The same from logits already computed. */
    static Eval evaluate(double[] zr, double[] zf) {
        double loss = 0, accReal = 0, accFake = 0;
        for (double z : zr) {
            loss += -reward(z, DiscriminatorConfig.RewardForm.LOGSIGMOID);
            if (z > 0) accReal++;
        }
        for (double z : zf) {
            loss += -reward(-z, DiscriminatorConfig.RewardForm.LOGSIGMOID);
            if (z < 0) accFake++;
        }
        return new Eval(loss / (zr.length + zf.length), 0.5 * (accReal / zr.length + accFake / zf.length),
                Stats.mean(zr), Stats.mean(zf));
    }

    /** Writes checkpointDir/discriminator/ (HF format) and checkpointDir/discriminator_optimizer.pt. */
    void save(Path checkpointDir) {
        model.save(checkpointDir.resolve(DIR));
        OutputArchive out = new OutputArchive();
        optimizer.save(out);
        out.save_to(checkpointDir.resolve(OPTIMIZER).toString());
    }

    /** Restores the optimizer state saved by {@link #save} in checkpointDir, if any. */
    void loadOptimizer(Path checkpointDir) {
        Path file = checkpointDir.resolve(OPTIMIZER);
        if (!Files.exists(file)) throw new UserError(file + ": missing: the checkpoint of an adversarial run holds it");
        InputArchive in = new InputArchive();
        in.load_from(file.toString(), new DeviceOptional(params.get(0).device()));
        optimizer.load(in);
    }
}
