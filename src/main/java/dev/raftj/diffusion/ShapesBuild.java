package dev.raftj.diffusion;

import dev.raftj.data.Shuffle;
import dev.raftj.train.LrSchedule;
import java.io.PrintWriter;
import java.nio.file.Path;

/**
 * {@code raftj pretrain --task shapes}: the classifier, then the class-conditional base diffusion
 * model, both trained from one seed on fresh images of the {@link Shapes} generator (every step a
 * new batch), written to OUT/classifier and OUT/model. The model is 164k parameters: levels of 16
 * and 32 channels on 16×16 and 8×8, one residual block per level, self-attention in the middle.
 */
public final class ShapesBuild {
    public static final String TASK = "shapes";
    /** Streams of the seed: the classifier, the model's initial weights, its training batches, the final check. */
    static final long CLASSIFIER = 1, INIT = 2, BATCHES = 3, CHECK = 4;

    /** Steps, batch, peak lr (cosine to 0 after 100 warm-up steps), label dropout, classifier steps. */
    public record Recipe(long seed, int steps, int batch, double lr, double labelDropout, int classifierSteps) {
        public static Recipe defaults() {
            return new Recipe(0, 3000, 32, 2e-3, 0.1, 600);
        }
    }

    /** The shipped model's architecture. */
    public static UNetConfig architecture() {
        return new UNetConfig(Shapes.SIZE, 1, 1, new int[] {16, 32}, 1, 8, 1e-5, Shapes.CLASSES.size() + 1,
                new boolean[] {false, false}, true, 8);
    }

    /** Sampling of the task: DDIM, 20 steps, η = 0, guidance 2. */
    public static Sampler.Spec sampling() {
        return new Sampler.Spec(Sampler.Spec.DDIM, 20, 0.0, 2.0);
    }

    private ShapesBuild() {}

    public static void run(Recipe r, Path out, PrintWriter log) {
        long start = System.nanoTime();
        ShapeClassifier classifier = ShapeClassifier.train(Shuffle.deriveSeed(r.seed(), CLASSIFIER), r.classifierSteps(), 64, 3e-3, log);
        long[] heldLabels = Shapes.labels(1024, Shuffle.deriveSeed(r.seed(), CHECK));
        double clsAcc = classifier.accuracy(Shapes.batch(heldLabels, Shuffle.deriveSeed(r.seed(), CHECK + 100)), heldLabels);
        log.printf("classifier: held-out accuracy on 1024 generated images %.4f%n", clsAcc);
        classifier.save(out.resolve("classifier"));
        UNetConfig arch = architecture();
        DiffusionModel model = new DiffusionModel(UNet2D.initialize(arch, Shuffle.deriveSeed(r.seed(), INIT)), SchedulerConfig.ddpm());
        long params = model.unet().parameters().stream().mapToLong(t -> t.numel()).sum();
        log.printf("diffusion model: %,d parameters, %d steps of %d images, lr %.2g, seed %d%n", params, r.steps(), r.batch(), r.lr(), r.seed());
        log.flush();
        try (DenoiseStep step = new DenoiseStep(model, r.lr(), 0.0, 1.0)) {
            double sum = 0;
            int count = 0;
            for (int s = 0; s < r.steps(); s++) {
                step.setLearningRate(LrSchedule.COSINE.at(r.lr(), s, r.steps(), 100));
                long seed = Shuffle.deriveSeed(Shuffle.deriveSeed(r.seed(), BATCHES), s);
                long[] y = Shapes.labels(r.batch(), seed);
                sum += step.step(Shapes.batch(y, Shuffle.deriveSeed(seed, 1)), y, r.labelDropout(), Shuffle.deriveSeed(seed, 2)).loss();
                count++;
                if ((s + 1) % 250 == 0 || s == r.steps() - 1) {
                    log.printf("step %d/%d  loss %.4f  %.0f s%n", s + 1, r.steps(), sum / count, (System.nanoTime() - start) / 1e9);
                    log.flush();
                    sum = 0;
                    count = 0;
                }
            }
        }
        model.save(out.resolve("model"));
        SampleEval e = SampleEval.of(model, sampling(), 32, Shuffle.deriveSeed(r.seed(), CHECK),
                ImageRewards.parse("symmetry", Path.of("--task shapes"), "reward"), classifier, 64);
        ImageGrid.write(out.resolve("samples.png"), e.images(), Shapes.SIZE, 32, 3);
        log.printf("base model: class accuracy %.4f, symmetry %.4f, diversity %.3f (128 samples); %s; %.0f s in all%n",
                e.accuracy(), e.rewardMean(), e.diversity(), out.toAbsolutePath(), (System.nanoTime() - start) / 1e9);
        log.flush();
    }
}
