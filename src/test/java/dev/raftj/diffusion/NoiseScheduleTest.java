package dev.raftj.diffusion;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** The schedule and both samplers' update coefficients against values worked out by hand. */
class NoiseScheduleTest {
    private static final double TOL = 1e-12;

    @Test
    void linearAndScaledLinearBetas() {
        assertArrayEquals(new double[] {0.1, 0.2, 0.3}, NoiseSchedule.betas("linear", 0.1, 0.3, 3), TOL);
        // √β evenly from √0.01 = 0.1 to √0.09 = 0.3: 0.1, 0.2, 0.3, squared
        assertArrayEquals(new double[] {0.01, 0.04, 0.09}, NoiseSchedule.betas("scaled_linear", 0.01, 0.09, 3), TOL);
        // DDPM's default: β_999 = 0.02, β_0 = 1e-4
        double[] ddpm = NoiseSchedule.betas("linear", 1e-4, 0.02, 1000);
        assertEquals(1e-4, ddpm[0], TOL);
        assertEquals(1e-4 + 0.0199 * 500 / 999, ddpm[500], TOL);
        assertEquals(0.02, ddpm[999], TOL);
    }

    @Test
    void alphaBarIsTheRunningProduct() {
        NoiseSchedule s = new NoiseSchedule(new double[] {0.1, 0.2, 0.5});
        assertEquals(0.9, s.alphaBar(0), TOL);
        assertEquals(0.72, s.alphaBar(1), TOL);
        assertEquals(0.36, s.alphaBar(2), TOL);
        assertEquals(1.0, s.alphaBar(-1), TOL);
    }

    @Test
    void ddimTimestepsUseLeadingSpacing() {
        assertArrayEquals(new int[] {900, 800, 700, 600, 500, 400, 300, 200, 100, 0}, NoiseSchedule.ddimTimesteps(1000, 10));
        // 1000 / 3 = 333 by integer division, as diffusers' "leading" spacing
        assertArrayEquals(new int[] {666, 333, 0}, NoiseSchedule.ddimTimesteps(1000, 3));
    }

    @Test
    void ddimUpdateMatchesTheClosedForm() {
        // ᾱ_t = 0.36, ᾱ_prev = 0.64, η = 0: σ = 0,
        // x_prev = √0.64·(x − √0.64·ε)/√0.36 + √0.36·ε = (0.8/0.6)·x + (0.6 − 0.8·0.8/0.6)·ε
        double[] c = NoiseSchedule.ddimCoefficients(0.36, 0.64, 0.0);
        assertEquals(0.8 / 0.6, c[0], TOL);
        assertEquals(0.6 - 0.64 / 0.6, c[1], TOL);
        assertEquals(0.0, c[2], TOL);
        // η = 1: σ = √((1−0.64)/(1−0.36))·√(1 − 0.36/0.64) = 0.75·0.661437… ; direction √(0.36 − σ²)
        double sigma = 0.75 * Math.sqrt(1 - 0.5625);
        double[] c1 = NoiseSchedule.ddimCoefficients(0.36, 0.64, 1.0);
        assertEquals(sigma, c1[2], TOL);
        assertEquals(Math.sqrt(0.36 - sigma * sigma) - 0.8 * 0.8 / 0.6, c1[1], TOL);
        // the clipped-x̂0 form agrees with the linear form when nothing is clipped
        double x = 0.3, eps = -0.2, z = 0.7;
        double x0 = NoiseSchedule.predictX0(x, eps, 0.36);
        assertEquals((0.3 + 0.8 * 0.2) / 0.6, x0, TOL);
        assertEquals(c1[0] * x + c1[1] * eps + c1[2] * z, NoiseSchedule.ddimFromX0(x, x0, 0.36, 0.64, sigma, z), 1e-12);
    }

    @Test
    void ddpmPosteriorCoefficients() {
        // β = (0.1, 0.2): ᾱ_0 = 0.9, ᾱ_1 = 0.72. At t = 1:
        // c0 = √0.9·0.2/0.28, ct = √0.8·0.1/0.28, σ² = 0.1/0.28·0.2
        NoiseSchedule s = new NoiseSchedule(new double[] {0.1, 0.2});
        double[] k = s.ddpmCoefficients(1);
        assertEquals(Math.sqrt(0.9) * 0.2 / 0.28, k[0], TOL);
        assertEquals(Math.sqrt(0.8) * 0.1 / 0.28, k[1], TOL);
        assertEquals(Math.sqrt(0.1 / 0.28 * 0.2), k[2], TOL);
        // t = 0: x_{-1} = x̂0 exactly (c0 = 1, ct = 0, no noise)
        double[] k0 = s.ddpmCoefficients(0);
        assertEquals(1.0, k0[0], TOL);
        assertEquals(0.0, k0[1], TOL);
        assertEquals(0.0, k0[2], TOL);
    }

    @Test
    void timestepEmbeddingIsCosThenSin() {
        // dim 4, h = 2: frequencies 10000^0 = 1 and 10000^(−1/2) = 0.01
        assertArrayEquals(new double[] {Math.cos(3), Math.cos(0.03), Math.sin(3), Math.sin(0.03)},
                UNet2D.timestepEmbedding(3, 4), TOL);
    }
}
