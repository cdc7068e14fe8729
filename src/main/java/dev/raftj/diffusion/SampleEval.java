package dev.raftj.diffusion;

/**
 * A model's samples measured: {@code perClass} images of every class (class-major), drawn with a
 * fixed seed, scored by the reward, named by the held-out classifier, and their within-class spread.
 *
 * @param accuracy share of samples the classifier names as the class they were drawn for (NaN without one)
 */
public record SampleEval(double rewardMean, double accuracy, double diversity, float[] images, long[] labels) {

    public static SampleEval of(DiffusionModel model, Sampler.Spec spec, int perClass, long seed,
                                ImageRewards.ImageReward reward, ShapeClassifier classifier, int batchSize) {
        long[] labels = classMajor(Math.max(model.config().classes(), 1), perClass, model.config().classes() > 0);
        float[] images = new Sampler(model, batchSize).sample(labels, spec, seed);
        int size = model.config().sampleSize();
        double mean = java.util.Arrays.stream(reward.score(images, size)).average().orElse(Double.NaN);
        double acc = classifier == null || model.config().classes() == 0 ? Double.NaN : classifier.accuracy(images, labels);
        return new SampleEval(mean, acc, Diversity.meanPairwiseL2(images, labels, size * size * model.config().inChannels()),
                images, labels);
    }

    /** Labels 0,0,…,1,1,… ({@code perClass} each); all 0 for an unconditional model (label ignored). */
    public static long[] classMajor(int classes, int perClass, boolean conditional) {
        long[] y = new long[classes * perClass];
        for (int i = 0; i < y.length; i++) y[i] = conditional ? i / perClass : 0;
        return y;
    }
}
