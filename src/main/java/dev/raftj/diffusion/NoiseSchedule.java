package dev.raftj.diffusion;

/**
 * DDPM's noise schedule and the two samplers' update rules as pure functions of scalars, as
 * diffusers' DDPMScheduler and DDIMScheduler compute them (ε-prediction; ᾱ_t = ∏_{s≤t} (1 − β_s)).
 * The tensor code applies these per-step coefficients elementwise.
 */
public final class NoiseSchedule {
    private final double[] betas;
    private final double[] alphasCumprod;

    public NoiseSchedule(double[] betas) {
        this.betas = betas.clone();
        this.alphasCumprod = new double[betas.length];
        double prod = 1;
        for (int t = 0; t < betas.length; t++) {
            prod *= 1 - betas[t];
            alphasCumprod[t] = prod;
        }
    }

    public static NoiseSchedule of(SchedulerConfig c) {
        return new NoiseSchedule(betas(c.betaSchedule(), c.betaStart(), c.betaEnd(), c.numTrainTimesteps()));
    }

    /**
     * β_0..β_{T−1}: {@code linear} spaces β evenly from start to end; {@code scaled_linear} spaces
     * √β evenly and squares it (Stable Diffusion's schedule).
     */
    public static double[] betas(String schedule, double start, double end, int steps) {
        double[] b = new double[steps];
        for (int i = 0; i < steps; i++) {
            double f = steps == 1 ? 0 : (double) i / (steps - 1);
            b[i] = switch (schedule) {
                case SchedulerConfig.LINEAR -> start + f * (end - start);
                case SchedulerConfig.SCALED_LINEAR -> {
                    double s = Math.sqrt(start) + f * (Math.sqrt(end) - Math.sqrt(start));
                    yield s * s;
                }
                default -> throw new IllegalArgumentException("unknown beta schedule " + schedule);
            };
        }
        return b;
    }

    public int steps() {
        return betas.length;
    }

    public double beta(int t) {
        return betas[t];
    }

    /** ᾱ_t; ᾱ_{−1} = 1 (the "previous" of the last DDIM step). */
    public double alphaBar(int t) {
        return t < 0 ? 1.0 : alphasCumprod[t];
    }

    /**
     * DDIM's timesteps for {@code n} inference steps, highest first, with diffusers' default
     * "leading" spacing: t_i = i·(T / n) for i = n−1 … 0 (T / n by integer division).
     */
    public static int[] ddimTimesteps(int trainSteps, int n) {
        if (n < 1 || n > trainSteps) throw new IllegalArgumentException("need 1 <= steps <= " + trainSteps + ", got " + n);
        int ratio = trainSteps / n;
        int[] ts = new int[n];
        for (int i = 0; i < n; i++) ts[i] = (n - 1 - i) * ratio;
        return ts;
    }

    /**
     * One DDIM update's coefficients: x_prev = a·x_t + b·ε + σ·z (z standard normal), from
     * x̂0 = (x_t − √(1−ᾱ_t)·ε)/√ᾱ_t and x_prev = √ᾱ_prev·x̂0 + √(1−ᾱ_prev−σ²)·ε + σ·z with
     * σ = η·√((1−ᾱ_prev)/(1−ᾱ_t))·√(1−ᾱ_t/ᾱ_prev) (Song et al. 2021, eq. 12 and 16). Without
     * x̂0 clipping the update is linear in (x_t, ε); {@link #predictX0}/{@link #ddimFromX0} give
     * the clipped form.
     */
    public static double[] ddimCoefficients(double alphaBarT, double alphaBarPrev, double eta) {
        double sigma = ddimSigma(alphaBarT, alphaBarPrev, eta);
        double sqrtAt = Math.sqrt(alphaBarT);
        double dir = Math.sqrt(Math.max(0, 1 - alphaBarPrev - sigma * sigma));
        double a = Math.sqrt(alphaBarPrev) / sqrtAt;
        double b = dir - Math.sqrt(alphaBarPrev) * Math.sqrt(1 - alphaBarT) / sqrtAt;
        return new double[] {a, b, sigma};
    }

    /** DDIM's σ_t(η). η = 0: deterministic; η = 1: DDPM's posterior variance. */
    public static double ddimSigma(double alphaBarT, double alphaBarPrev, double eta) {
        return eta * Math.sqrt((1 - alphaBarPrev) / (1 - alphaBarT)) * Math.sqrt(1 - alphaBarT / alphaBarPrev);
    }

    /** x̂0 = (x_t − √(1−ᾱ_t)·ε) / √ᾱ_t. */
    public static double predictX0(double xt, double eps, double alphaBarT) {
        return (xt - Math.sqrt(1 - alphaBarT) * eps) / Math.sqrt(alphaBarT);
    }

    /**
     * DDIM from a (possibly clipped) x̂0: x_prev = √ᾱ_prev·x̂0 + √(1−ᾱ_prev−σ²)·ε' + σ·z, where
     * ε' = (x_t − √ᾱ_t·x̂0)/√(1−ᾱ_t) is the noise re-derived from the clipped x̂0 (as diffusers does).
     */
    public static double ddimFromX0(double xt, double x0, double alphaBarT, double alphaBarPrev, double sigma, double z) {
        double eps = (xt - Math.sqrt(alphaBarT) * x0) / Math.sqrt(1 - alphaBarT);
        return Math.sqrt(alphaBarPrev) * x0 + Math.sqrt(Math.max(0, 1 - alphaBarPrev - sigma * sigma)) * eps + sigma * z;
    }

    /**
     * DDPM's ancestral step from t to t−1 (Ho et al. 2020, eq. 7): the posterior mean
     * μ = c0·x̂0 + ct·x_t with c0 = √ᾱ_{t−1}·β_t/(1−ᾱ_t), ct = √α_t·(1−ᾱ_{t−1})/(1−ᾱ_t), plus
     * σ·z with σ² = β̃_t = (1−ᾱ_{t−1})/(1−ᾱ_t)·β_t (diffusers' "fixed_small"); no noise at t = 0.
     * Returns {c0, ct, σ}.
     */
    public double[] ddpmCoefficients(int t) {
        double abT = alphaBar(t), abPrev = alphaBar(t - 1), beta = betas[t];
        double c0 = Math.sqrt(abPrev) * beta / (1 - abT);
        double ct = Math.sqrt(1 - beta) * (1 - abPrev) / (1 - abT);
        double var = t > 0 ? (1 - abPrev) / (1 - abT) * beta : 0;
        return new double[] {c0, ct, Math.sqrt(Math.max(var, 1e-20)) * (t > 0 ? 1 : 0)};
    }
}
