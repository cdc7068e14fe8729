package dev.raftj.diffusion;

import dev.raftj.align.Seeds;
import dev.raftj.config.RankingConfig;
import dev.raftj.config.SftConfig;
import dev.raftj.data.Shuffle;
import dev.raftj.select.Ranking;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.function.Consumer;

/**
 * RAFT on a class-conditional diffusion model (the paper's second domain). Stage 0 evaluates the
 * base model; each stage then draws K images per class from the current model, scores them with
 * the reward, keeps the best (m per class, or the top fraction of all), fine-tunes on the kept
 * images with the ordinary ε-MSE denoising loss (labels kept, a share dropped to "no label" so
 * guidance keeps working), evaluates on fixed-seed samples (mean reward, held-out class accuracy,
 * within-class diversity, a PNG grid), logs the line and checkpoints. {@link Restraints} add
 * prior images to each stage's fine-tuning set, an anchor to the frozen base model's ε, and a
 * training t-range.
 */
public final class DiffusionRaft {
    private final DiffusionRunConfig config;
    private final DiffusionRunFolder folder;
    private final DiffusionModel model;
    /** The frozen base model (anchor and base prior), or null when no restraint needs it. */
    private final DiffusionModel base;
    private final ImageRewards.ImageReward reward;
    private final ShapeClassifier classifier;
    private final Consumer<DiffusionStageMetrics> onStage;

    DiffusionRaft(DiffusionRunConfig config, DiffusionRunFolder folder, DiffusionModel model, DiffusionModel base,
                  ShapeClassifier classifier, Path source, Consumer<DiffusionStageMetrics> onStage) {
        this.config = config;
        this.folder = folder;
        this.model = model;
        this.base = base;
        this.reward = ImageRewards.parse(config.reward(), source, "reward");
        this.classifier = classifier;
        this.onStage = onStage;
    }

    public void run() {
        SftConfig sft = config.sft();
        int classes = Math.max(model.config().classes(), 1);
        Restraints r = config.restraints();
        try (DenoiseStep step = new DenoiseStep(model, sft.lr(), sft.weightDecay(), sft.gradClip())
                .timesteps(r.trainTMin(), r.tMax(model.schedule().steps())).anchor(base, r.anchorBeta())) {
            Path opt = folder.optimizerState();
            if (opt != null && !sft.resetOptimizer()) step.loadOptimizer(opt);
            if (folder.stage() == 0 && folder.lines().isEmpty()) {
                long t0 = System.nanoTime();
                SampleEval e = evaluate(0);
                DiffusionStageMetrics line = new DiffusionStageMetrics(0, null, null, null, null, e.rewardMean(),
                        nan(e.accuracy()), e.diversity(), (System.nanoTime() - t0) / 1e9);
                folder.append(line);
                onStage.accept(line);
            }
            while (folder.stage() < config.stages()) {
                int stage = folder.stage() + 1;
                long t0 = System.nanoTime();
                long[] labels = SampleEval.classMajor(classes, config.k(), model.config().classes() > 0);
                float[] images = new Sampler(model, config.sampling().batchSize())
                        .sample(labels, config.sampling().spec(), Seeds.SAMPLE.of(config.seed(), stage));
                double[] rewards = reward.score(images, model.config().sampleSize());
                int[] kept = select(rewards, classes);
                double loss = fineTune(step, images, labels, kept, prior(classes, stage), stage);
                SampleEval e = evaluate(stage);
                double keptMean = Arrays.stream(kept).mapToDouble(i -> rewards[i]).average().orElse(Double.NaN);
                DiffusionStageMetrics line = new DiffusionStageMetrics(stage, Arrays.stream(rewards).average().orElse(Double.NaN),
                        keptMean, kept.length, loss, e.rewardMean(), nan(e.accuracy()), e.diversity(), (System.nanoTime() - t0) / 1e9);
                folder.advance(line, step, config);
                if (sft.resetOptimizer()) step.resetState();
                onStage.accept(line);
            }
        }
    }

    private int[] select(double[] rewards, int classes) {
        RankingConfig r = config.ranking();
        return r.mode() == RankingConfig.Mode.LOCAL
                ? Ranking.localTopM(rewards, classes, config.k(), r.m(), null)
                : Ranking.globalTopFraction(rewards, r.fractionFor(config.k()), null);
    }

    /** Images mixed into a stage's fine-tuning (prior preservation), class-major; empty when off. */
    record Prior(float[] images, long[] labels) {}

    /** The stage's prior images: fresh base-model samples or procedural shapes, from the stage's own seed stream. */
    Prior prior(int classes, int stage) {
        Restraints r = config.restraints();
        if (r.priorPerClass() == 0) return new Prior(new float[0], new long[0]);
        long[] y = SampleEval.classMajor(classes, r.priorPerClass(), model.config().classes() > 0);
        long seed = Shuffle.deriveSeed(Seeds.SAMPLE.of(config.seed(), stage), PRIOR_STREAM);
        float[] x = r.prior().equals(Restraints.SHAPES) ? Shapes.batch(y, seed)
                : new Sampler(base, config.sampling().batchSize()).sample(y, config.sampling().spec(), seed);
        return new Prior(x, y);
    }

    /** The prior's stream within a stage's sampling seed (the stage's own samples use the seed itself). */
    static final long PRIOR_STREAM = 0x5052494f52L;

    /**
     * sft.epochs passes over the kept images in seeded shuffled minibatches; the prior images are
     * shuffled too and split evenly over the same minibatches (batch j of n gets prior images
     * ⌊j·P/n⌋ … ⌊(j+1)·P/n⌋−1). Returns the mean loss.
     */
    private double fineTune(DenoiseStep step, float[] images, long[] labels, int[] kept, Prior prior, int stage) {
        SftConfig sft = config.sft();
        int per = model.config().inChannels() * model.config().sampleSize() * model.config().sampleSize();
        int perEpoch = (kept.length + sft.batchSize() - 1) / sft.batchSize(), total = perEpoch * sft.epochs();
        int priors = prior.labels().length;
        long seed = Seeds.SHUFFLE.of(config.seed(), stage);
        double sum = 0;
        int n = 0;
        for (int epoch = 0; epoch < sft.epochs(); epoch++) {
            int[] order = Shuffle.permutation(kept.length, Shuffle.deriveSeed(seed, epoch));
            int[] priorOrder = Shuffle.permutation(priors, Shuffle.deriveSeed(Shuffle.deriveSeed(seed, epoch), PRIOR_STREAM));
            for (int from = 0, j = 0; from < kept.length; from += sft.batchSize(), j++) {
                int b = Math.min(sft.batchSize(), kept.length - from);
                int p0 = (int) ((long) j * priors / perEpoch), p1 = (int) ((long) (j + 1) * priors / perEpoch);
                float[] x = new float[(b + p1 - p0) * per];
                long[] y = new long[b + p1 - p0];
                for (int i = 0; i < b; i++) {
                    int src = kept[order[from + i]];
                    System.arraycopy(images, src * per, x, i * per, per);
                    y[i] = labels[src];
                }
                for (int i = 0; i < p1 - p0; i++) {
                    int src = priorOrder[p0 + i];
                    System.arraycopy(prior.images(), src * per, x, (b + i) * per, per);
                    y[b + i] = prior.labels()[src];
                }
                step.setLearningRate(sft.lrSchedule().at(sft.lr(), n, total, sft.warmupSteps()));
                sum += step.step(x, y, config.labelDropout(), Shuffle.deriveSeed(Seeds.DROPOUT.of(config.seed(), stage), n)).loss();
                n++;
            }
        }
        return n == 0 ? Double.NaN : sum / n;
    }

    /** The fixed-seed evaluation (the same noise at every stage) and its grid, grids/stage-NNN.png. */
    private SampleEval evaluate(int stage) {
        SampleEval e = SampleEval.of(model, config.sampling().spec(), config.evalPerClass(),
                Seeds.EVAL_SAMPLE.of(config.seed(), 0), reward, classifier, config.sampling().batchSize());
        int size = model.config().sampleSize();
        ImageGrid.write(folder.dir.resolve("grids").resolve(String.format("stage-%03d.png", stage)),
                e.images(), size, Math.min(config.evalPerClass(), 16), 3);
        return e;
    }

    private static Double nan(double v) {
        return Double.isNaN(v) ? null : v;
    }
}
