package dev.raftj.diffusion;

import dev.raftj.data.Shuffle;
import dev.raftj.torch.Torch;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.ScalarOptional;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;

/**
 * Batched, seeded sampling: DDIM (η, n steps) or DDPM's ancestral chain over all T steps, with
 * classifier-free guidance ε = ε_∅ + w·(ε_c − ε_∅) for a class-conditioned model. Image i's
 * starting noise and every later draw come from (seed, i) alone, so an image does not depend on
 * the batch it was drawn in or on what ran before.
 */
public final class Sampler {
    /**
     * @param method   {@code ddim} or {@code ddpm}
     * @param steps    DDIM's inference steps (ignored by DDPM, which takes all T)
     * @param eta      DDIM's η: 0 deterministic, 1 DDPM-like noise
     * @param guidance classifier-free guidance scale w; 1 = the conditional model alone
     */
    public record Spec(String method, int steps, double eta, double guidance) {
        public static final String DDIM = "ddim", DDPM = "ddpm";
    }

    private final DiffusionModel model;
    private final int batchSize;

    public Sampler(DiffusionModel model, int batchSize) {
        this.model = model;
        this.batchSize = batchSize;
    }

    /** Images in [−1, 1], [labels.length, C, S, S], as a float array (row-major), drawn with {@code seed}. */
    public float[] sample(long[] labels, Spec spec, long seed) {
        UNetConfig c = model.config();
        int per = c.inChannels() * c.sampleSize() * c.sampleSize();
        float[] out = new float[labels.length * per];
        for (int from = 0; from < labels.length; from += batchSize) {
            int n = Math.min(batchSize, labels.length - from);
            long[] batch = java.util.Arrays.copyOfRange(labels, from, from + n);
            try (PointerScope scope = new PointerScope()) {
                float[] images = Torch.toFloats(sampleBatch(batch, from, spec, seed));
                System.arraycopy(images, 0, out, from * per, images.length);
            }
        }
        return out;
    }

    private Tensor sampleBatch(long[] labels, int first, Spec spec, long seed) {
        UNetConfig c = model.config();
        NoiseSchedule s = model.schedule();
        int n = labels.length;
        long[] shape = {c.inChannels(), c.sampleSize(), c.sampleSize()};
        Tensor x = noise(seed, first, n, 0, shape);
        int[] ts = spec.method().equals(Spec.DDPM) ? allSteps(s.steps())
                : NoiseSchedule.ddimTimesteps(s.steps(), spec.steps());
        try (var grad = new org.bytedeco.pytorch.NoGradGuard()) {
            for (int i = 0; i < ts.length; i++) {
                int t = ts[i];
                Tensor eps = epsilon(x, t, labels, spec.guidance());
                double abT = s.alphaBar(t);
                Tensor x0 = x.sub(eps.mul(new Scalar(Math.sqrt(1 - abT)))).div(new Scalar(Math.sqrt(abT)));
                if (model.scheduler().clipSample()) x0 = x0.clamp(new ScalarOptional(new Scalar(-1.0)), new ScalarOptional(new Scalar(1.0)));
                Tensor next;
                double sigma;
                if (spec.method().equals(Spec.DDPM)) {
                    double[] k = s.ddpmCoefficients(t);
                    next = x0.mul(new Scalar(k[0])).add(x.mul(new Scalar(k[1])));
                    sigma = k[2];
                } else {
                    int prev = i + 1 < ts.length ? ts[i + 1] : -1;
                    double abPrev = s.alphaBar(prev);
                    sigma = NoiseSchedule.ddimSigma(abT, abPrev, spec.eta());
                    // ε re-derived from the (clipped) x̂0, as diffusers' DDIMScheduler does
                    Tensor epsHat = x.sub(x0.mul(new Scalar(Math.sqrt(abT)))).div(new Scalar(Math.sqrt(1 - abT)));
                    next = x0.mul(new Scalar(Math.sqrt(abPrev)))
                            .add(epsHat.mul(new Scalar(Math.sqrt(Math.max(0, 1 - abPrev - sigma * sigma)))));
                }
                if (sigma > 0) next = next.add(noise(seed, first, n, i + 1, shape).mul(new Scalar(sigma)));
                x = next;
            }
        }
        return x.clamp(new ScalarOptional(new Scalar(-1.0)), new ScalarOptional(new Scalar(1.0)));
    }

    /** ε̂ at (x, t), guided when the model is conditional and w ≠ 1. */
    private Tensor epsilon(Tensor x, int t, long[] labels, double guidance) {
        UNetConfig c = model.config();
        int n = labels.length;
        int[] ts = new int[n];
        java.util.Arrays.fill(ts, t);
        if (c.numClassEmbeds() == null) return model.unet().forward(x, ts, null);
        if (guidance == 1.0) return model.unet().forward(x, ts, labels);
        long[] both = new long[2 * n];
        System.arraycopy(labels, 0, both, 0, n);
        java.util.Arrays.fill(both, n, 2 * n, c.numClassEmbeds() - 1);
        int[] ts2 = new int[2 * n];
        java.util.Arrays.fill(ts2, t);
        Tensor e = model.unet().forward(torch.cat(new TensorVector(x, x), 0), ts2, both);
        Tensor cond = e.narrow(0, 0, n), uncond = e.narrow(0, n, n);
        return uncond.add(cond.sub(uncond).mul(new Scalar(guidance)));
    }

    /** Draw {@code step} for images first … first+n−1: each image's own stream from (seed, image index). */
    static Tensor noise(long seed, int first, int n, int step, long[] shape) {
        Tensor[] parts = new Tensor[n];
        for (int i = 0; i < n; i++) {
            parts[i] = Gaussian.tensor(Shuffle.deriveSeed(Shuffle.deriveSeed(seed, first + i), step), shape);
        }
        return torch.stack(new TensorVector(parts), 0);
    }

    private static int[] allSteps(int t) {
        int[] ts = new int[t];
        for (int i = 0; i < t; i++) ts[i] = t - 1 - i;
        return ts;
    }
}
