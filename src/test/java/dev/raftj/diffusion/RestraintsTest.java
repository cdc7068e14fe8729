package dev.raftj.diffusion;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.raftj.core.ConfigError;
import dev.raftj.data.Shuffle;
import dev.raftj.torch.Torch;
import java.nio.file.Path;
import java.util.Map;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The restraints of a diffusion run: the anchor term, the training t-range, and their validation. */
class RestraintsTest {
    @BeforeAll
    static void threads() {
        Torch.init(1);
    }

    private static double distance(DiffusionModel a, DiffusionModel b) {
        double sum = 0;
        for (Map.Entry<String, Tensor> e : a.unet().weights().entrySet()) {
            float[] x = Torch.toFloats(e.getValue().detach()), y = Torch.toFloats(b.unet().weights().get(e.getKey()));
            for (int i = 0; i < x.length; i++) sum += (x[i] - y[i]) * (double) (x[i] - y[i]);
        }
        return Math.sqrt(sum);
    }

    @Test
    void anchorIsZeroWhileTheModelIsTheBaseAndPullsTowardItAfter() {
        long[] y = {0, 1, 2, 1};
        float[] x = Shapes.batch(y, 4);
        DiffusionModel plain = TinyModels.model(2, SchedulerConfig.ddpm()), anchored = TinyModels.model(2, SchedulerConfig.ddpm());
        DiffusionModel base = TinyModels.model(2, SchedulerConfig.ddpm());
        try (DenoiseStep p = new DenoiseStep(plain, 3e-3, 0, 0); DenoiseStep a = new DenoiseStep(anchored, 3e-3, 0, 0).anchor(base, 5.0)) {
            DenoiseStep.Result rp = p.step(x, y, 0.1, 100), ra = a.step(x, y, 0.1, 100);
            // θ = base: ε_θ = ε_base up to float rounding (the base runs without autograd), so the term is ~0 ...
            assertEquals(0.0, ra.anchorLoss(), 1e-10, "the anchor term at θ = base");
            assertEquals(rp.loss(), ra.loss(), 1e-10);
            // ... and adds no gradient (AdamW's first step is ~lr·sign(g), so rounding-level gradients still move a
            // weight by up to lr: compare the gradient norm, and the step only relative to its size)
            assertEquals(rp.gradNorm(), ra.gradNorm(), 1e-6 * rp.gradNorm());
            double moved = distance(plain, base);
            assertTrue(distance(plain, anchored) < 1e-3 * moved, "anchored vs plain " + distance(plain, anchored) + ", step " + moved);
            DenoiseStep.Result second = a.step(x, y, 0.1, 101);
            assertTrue(second.anchorLoss() > 0, "after a step θ ≠ base: " + second.anchorLoss());
            for (int s = 102; s < 140; s++) {
                p.step(x, y, 0.1, s);
                a.step(x, y, 0.1, s);
            }
        }
        double free = distance(plain, base), held = distance(anchored, base);
        assertTrue(held < 0.8 * free, "anchored weights " + held + " from the base, free ones " + free);
    }

    @Test
    void timestepsStayInTheRangeAndCoverIt() {
        DiffusionModel m = TinyModels.model(3, SchedulerConfig.ddpm());
        long[] y = new long[32];
        float[] x = Shapes.batch(y, 5);
        boolean low = false, high = false;
        try (DenoiseStep step = new DenoiseStep(m, 1e-4, 0, 1.0).timesteps(300, 303)) {
            for (int s = 0; s < 4; s++) {
                for (int t : step.step(x, y, 0.1, s).timesteps()) {
                    assertTrue(t >= 300 && t <= 303, "t = " + t);
                    low |= t == 300;
                    high |= t == 303;
                }
            }
        }
        assertTrue(low && high, "both ends drawn");
        try (DenoiseStep full = new DenoiseStep(m, 1e-4, 0, 1.0)) {
            int max = 0;
            for (int t : full.step(x, y, 0.1, 0).timesteps()) max = Math.max(max, t);
            assertTrue(max > 303, "the default range is all of 0…T−1: " + max);
            assertThrows(IllegalArgumentException.class, () -> full.timesteps(0, 1000));
        }
    }

    @Test
    void theFullRangeDrawsWhatTheUnrestrainedStepDrew() {
        // the default (0…T−1) draws t and the dropped labels in the order of the step before restraints
        Shuffle.SplitMix64 a = new Shuffle.SplitMix64(17), b = new Shuffle.SplitMix64(17);
        DenoiseStep.Draw d = DenoiseStep.draw(a, 8, new long[] {0, 1, 2, 0, 1, 2, 0, 1}, 0.5, 3, 0, 999);
        for (int i = 0; i < 8; i++) {
            assertEquals(b.nextInt(1000), d.timesteps()[i]);
            boolean dropped = UNet2D.uniform(b) < 0.5;
            assertEquals(dropped, d.labels()[i] == 3);
        }
    }

    private static ConfigError invalid(Restraints r) {
        return assertThrows(ConfigError.class, () -> r.validate(Path.of("run.yaml"), "restraints"));
    }

    @Test
    void badFieldsAreNamed() {
        assertTrue(invalid(new Restraints(-1, null, null, null, null)).getMessage().contains("restraints.prior_per_class"));
        assertTrue(invalid(new Restraints(4, "data", null, null, null)).getMessage().contains("restraints.prior"));
        assertTrue(invalid(new Restraints(null, null, -0.5, null, null)).getMessage().contains("restraints.anchor_beta"));
        assertTrue(invalid(new Restraints(null, null, Double.NaN, null, null)).getMessage().contains("restraints.anchor_beta"));
        assertTrue(invalid(new Restraints(null, null, null, -1, null)).getMessage().contains("restraints.train_t_min"));
        assertTrue(invalid(new Restraints(null, null, null, 500, 400)).getMessage().contains("restraints.train_t_max"));
        new Restraints(8, "shapes", 0.5, 100, 900).validate(Path.of("run.yaml"), "restraints");

        UNetConfig tiny = TinyModels.config(false);
        Path f = Path.of("run.yaml");
        ConfigError tooHigh = assertThrows(ConfigError.class, () -> new Restraints(null, null, null, null, 1000).validate(f, "restraints", tiny, 1000));
        assertTrue(tooHigh.getMessage().contains("restraints.train_t_max") && tooHigh.getMessage().contains("1000"), tooHigh.getMessage());
        ConfigError minHigh = assertThrows(ConfigError.class, () -> new Restraints(null, null, null, 1000, null).validate(f, "restraints", tiny, 1000));
        assertTrue(minHigh.getMessage().contains("restraints.train_t_min"), minHigh.getMessage());
        ConfigError shapes = assertThrows(ConfigError.class, () -> new Restraints(2, "shapes", null, null, null).validate(f, "restraints", tiny, 1000));
        assertTrue(shapes.getMessage().contains("restraints.prior") && shapes.getMessage().contains("3 classes"), shapes.getMessage());
        new Restraints(2, "shapes", null, null, 999).validate(f, "restraints", ShapesBuild.architecture(), 1000);
        assertEquals(999, Restraints.none().tMax(1000));
        assertTrue(!Restraints.none().needsBase() && new Restraints(null, null, 0.1, null, null).needsBase()
                && new Restraints(1, null, null, null, null).needsBase() && !new Restraints(1, "shapes", null, null, null).needsBase());
    }
}
