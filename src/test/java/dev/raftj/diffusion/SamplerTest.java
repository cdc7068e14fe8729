package dev.raftj.diffusion;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.raftj.torch.Torch;
import java.util.Arrays;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.ScalarOptional;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Seeded, batched sampling: determinism, batch independence, and single steps checked against the formulas. */
class SamplerTest {
    private static final long[] LABELS = {0, 1, 2, 0};
    private static final long[] SHAPE = {1, 16, 16};

    @BeforeAll
    static void threads() {
        Torch.init(1);
    }

    @Test
    void theSameSeedDrawsTheSameImagesWhateverTheBatch() {
        DiffusionModel m = TinyModels.model(5, SchedulerConfig.ddpm());
        Sampler.Spec spec = new Sampler.Spec(Sampler.Spec.DDIM, 4, 0.5, 2.0);
        float[] a = new Sampler(m, 4).sample(LABELS, spec, 11);
        float[] b = new Sampler(m, 4).sample(LABELS, spec, 11);
        assertArrayEquals(a, b, "same seed, same images");
        float[] c = new Sampler(m, 4).sample(LABELS, spec, 12);
        assertFalse(Arrays.equals(a, c), "another seed, other images");
        float[] split = new Sampler(m, 3).sample(LABELS, spec, 11);
        assertArrayEquals(a, split, 1e-5f, "image i depends on (seed, i), not on the batch it was drawn in");
    }

    @Test
    void oneGuidedDdimStepIsTheClippedX0Estimate() {
        DiffusionModel m = TinyModels.model(6, SchedulerConfig.ddpm());
        double w = 3.0, ab = m.schedule().alphaBar(0);
        float[] got = new Sampler(m, 8).sample(LABELS, new Sampler.Spec(Sampler.Spec.DDIM, 1, 0.0, w), 21);
        Tensor x = Sampler.noise(21, 0, 4, 0, SHAPE);
        int[] t0 = {0, 0, 0, 0};
        Tensor cond = m.unet().forward(x, t0, LABELS), uncond = m.unet().forward(x, t0, new long[] {3, 3, 3, 3});
        Tensor eps = uncond.add(cond.sub(uncond).mul(new Scalar(w)));
        Tensor x0 = x.sub(eps.mul(new Scalar(Math.sqrt(1 - ab)))).div(new Scalar(Math.sqrt(ab)));
        float[] want = Torch.toFloats(x0.clamp(new ScalarOptional(new Scalar(-1.0)), new ScalarOptional(new Scalar(1.0))));
        assertArrayEquals(want, got, 1e-5f);
        float[] unguided = new Sampler(m, 8).sample(LABELS, new Sampler.Spec(Sampler.Spec.DDIM, 1, 0.0, 1.0), 21);
        assertFalse(Arrays.equals(got, unguided), "guidance changes the images");
    }

    @Test
    void ddpmChainOfTwoStepsMatchesThePosteriorFormula() {
        SchedulerConfig two = new SchedulerConfig(2, 0.1, 0.2, SchedulerConfig.LINEAR, false);
        DiffusionModel m = TinyModels.model(7, two);
        float[] got = new Sampler(m, 8).sample(LABELS, new Sampler.Spec(Sampler.Spec.DDPM, 0, 0, 1.0), 31);
        NoiseSchedule s = m.schedule();
        Tensor x = Sampler.noise(31, 0, 4, 0, SHAPE);
        // t = 1: μ = c0·x̂0 + ct·x, plus σ·z (z: the chain's draw number 1)
        double[] k = s.ddpmCoefficients(1);
        Tensor eps = m.unet().forward(x, new int[] {1, 1, 1, 1}, LABELS);
        Tensor x0 = x.sub(eps.mul(new Scalar(Math.sqrt(1 - s.alphaBar(1))))).div(new Scalar(Math.sqrt(s.alphaBar(1))));
        x = x0.mul(new Scalar(k[0])).add(x.mul(new Scalar(k[1]))).add(Sampler.noise(31, 0, 4, 1, SHAPE).mul(new Scalar(k[2])));
        // t = 0: the x̂0 estimate itself
        eps = m.unet().forward(x, new int[] {0, 0, 0, 0}, LABELS);
        x0 = x.sub(eps.mul(new Scalar(Math.sqrt(1 - s.alphaBar(0))))).div(new Scalar(Math.sqrt(s.alphaBar(0))));
        float[] want = Torch.toFloats(x0.clamp(new ScalarOptional(new Scalar(-1.0)), new ScalarOptional(new Scalar(1.0))));
        assertArrayEquals(want, got, 1e-5f);
        assertTrue(k[2] > 0);
    }

    @Test
    void noiseIsStandardNormal() {
        float[] z = Torch.toFloats(Gaussian.tensor(3, 20000));
        double mean = 0, sq = 0;
        for (float v : z) {
            mean += v / z.length;
            sq += v * v / z.length;
        }
        assertEquals(0, mean, 0.03);
        assertEquals(1, sq, 0.05);
    }
}
