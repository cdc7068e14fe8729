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
 * within-class diversity, a PNG grid), logs the line and checkpoints.
 */
public final class DiffusionRaft {
    private final DiffusionRunConfig config;
    private final DiffusionRunFolder folder;
    private final DiffusionModel model;
    private final ImageRewards.ImageReward reward;
    private final ShapeClassifier classifier;
    private final Consumer<DiffusionStageMetrics> onStage;

    DiffusionRaft(DiffusionRunConfig config, DiffusionRunFolder folder, DiffusionModel model, ShapeClassifier classifier,
                  Path source, Consumer<DiffusionStageMetrics> onStage) {
        this.config = config;
        this.folder = folder;
        this.model = model;
        this.reward = ImageRewards.parse(config.reward(), source, "reward");
        this.classifier = classifier;
        this.onStage = onStage;
    }

    public void run() {
        SftConfig sft = config.sft();
        int classes = Math.max(model.config().classes(), 1);
        try (DenoiseStep step = new DenoiseStep(model, sft.lr(), sft.weightDecay(), sft.gradClip())) {
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
                double loss = fineTune(step, images, labels, kept, stage);
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

    /** sft.epochs passes over the kept images in seeded shuffled minibatches; returns the mean loss. */
    private double fineTune(DenoiseStep step, float[] images, long[] labels, int[] kept, int stage) {
        SftConfig sft = config.sft();
        int per = model.config().inChannels() * model.config().sampleSize() * model.config().sampleSize();
        int perEpoch = (kept.length + sft.batchSize() - 1) / sft.batchSize(), total = perEpoch * sft.epochs();
        long seed = Seeds.SHUFFLE.of(config.seed(), stage);
        double sum = 0;
        int n = 0;
        for (int epoch = 0; epoch < sft.epochs(); epoch++) {
            int[] order = Shuffle.permutation(kept.length, Shuffle.deriveSeed(seed, epoch));
            for (int from = 0; from < kept.length; from += sft.batchSize()) {
                int b = Math.min(sft.batchSize(), kept.length - from);
                float[] x = new float[b * per];
                long[] y = new long[b];
                for (int i = 0; i < b; i++) {
                    int src = kept[order[from + i]];
                    System.arraycopy(images, src * per, x, i * per, per);
                    y[i] = labels[src];
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
