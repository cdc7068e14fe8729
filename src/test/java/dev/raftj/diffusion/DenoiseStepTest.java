package dev.raftj.diffusion;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.raftj.data.Shuffle;
import dev.raftj.torch.Torch;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The ε-MSE training step learns, and a step is a function of its seed. */
class DenoiseStepTest {
    @BeforeAll
    static void threads() {
        Torch.init(1);
    }

    @Test
    void lossFallsOnShapes() {
        DiffusionModel m = TinyModels.model(1, SchedulerConfig.ddpm());
        double first = 0, last = 0;
        try (DenoiseStep step = new DenoiseStep(m, 3e-3, 0, 1.0)) {
            for (int s = 0; s < 60; s++) {
                long seed = Shuffle.deriveSeed(9, s);
                long[] y = Shapes.labels(16, seed);
                for (int i = 0; i < y.length; i++) y[i] %= 3;
                double loss = step.step(Shapes.batch(y, seed + 1), y, 0.1, seed + 2).loss();
                if (s < 10) first += loss / 10;
                if (s >= 50) last += loss / 10;
            }
        }
        assertTrue(last < 0.6 * first, "mean loss of the first 10 steps " + first + ", of the last 10 " + last);
    }

    @Test
    void aStepDependsOnlyOnItsSeed() {
        long[] y = {0, 1, 2, 1};
        float[] x = Shapes.batch(y, 4);
        double[] losses = new double[2];
        for (int r = 0; r < 2; r++) {
            try (DenoiseStep step = new DenoiseStep(TinyModels.model(2, SchedulerConfig.ddpm()), 1e-3, 0, 1.0)) {
                step.step(x, y, 0.5, 100);
                losses[r] = step.step(x, y, 0.5, 101).loss();
            }
        }
        assertEquals(losses[0], losses[1], 0.0);
    }
}
