package dev.raftj.train;

import java.util.function.UnaryOperator;

/**
 * The host-side arithmetic of PPO and GRPO, as pure functions over ragged arrays: row i holds one
 * value per response token of sample i (its length is the response's length, so no mask is
 * needed). Names and defaults follow TRL and OpenRLHF; each function says whose formula it is.
 */
public final class Advantages {
    private Advantages() {}

    /** Per-token estimators of KL(π‖π_ref) from log π and log π_ref of the sampled token (Schulman, "Approximating KL"). */
    public enum KlEstimator {
        /** log π − log π_ref: unbiased, can be negative per token. */
        K1,
        /** (log π − log π_ref)² / 2: non-negative, biased. */
        K2,
        /** exp(log π_ref − log π) − (log π_ref − log π) − 1: non-negative, unbiased. */
        K3
    }

    /** OpenRLHF clamps every per-token estimate to ±10. */
    public static final double KL_CLAMP = 10.0;

    /** One per-token KL estimate, clamped to ±{@value #KL_CLAMP} (OpenRLHF's compute_approx_kl). */
    public static double kl(KlEstimator e, double logp, double logpRef) {
        double d = logp - logpRef;
        double k = switch (e) {
            case K1 -> d;
            case K2 -> d * d / 2;
            case K3 -> Math.exp(-d) - 1 + d;
        };
        return Math.max(-KL_CLAMP, Math.min(KL_CLAMP, k));
    }

    /** {@link #kl(KlEstimator, double, double)} token by token over ragged rows. */
    public static double[][] kl(KlEstimator e, double[][] logp, double[][] logpRef) {
        double[][] out = new double[logp.length][];
        for (int i = 0; i < logp.length; i++) {
            out[i] = new double[logp[i].length];
            for (int t = 0; t < logp[i].length; t++) out[i][t] = kl(e, logp[i][t], logpRef[i][t]);
        }
        return out;
    }

    /**
     * The sequence scores PPO optimises: a response without end-of-sequence loses
     * {@code missingEosPenalty} (TRL's missing_eos_penalty; null = none), then scores are clipped to
     * ±{@code clip} (OpenRLHF's reward_clip_range; null = none).
     */
    public static double[] scores(double[] rewards, boolean[] endedWithEos, Double missingEosPenalty, Double clip) {
        double[] out = rewards.clone();
        for (int i = 0; i < out.length; i++) {
            if (missingEosPenalty != null && !endedWithEos[i]) out[i] -= missingEosPenalty;
            if (clip != null) out[i] = Math.max(-clip, Math.min(clip, out[i]));
        }
        return out;
    }

    /**
     * PPO's per-token rewards: −β·KL on every response token, plus the sequence score on the last
     * one (OpenRLHF's compute_reward). An empty response gets nothing.
     */
    public static double[][] shapedRewards(double[] scores, double[][] kl, double beta) {
        double[][] r = new double[kl.length][];
        for (int i = 0; i < kl.length; i++) {
            r[i] = new double[kl[i].length];
            for (int t = 0; t < r[i].length; t++) r[i][t] = -beta * kl[i][t];
            if (r[i].length > 0) r[i][r[i].length - 1] += scores[i];
        }
        return r;
    }

    /** Advantages and returns (advantage + value) per response token. */
    public record Gae(double[][] advantages, double[][] returns) {}

    /**
     * Generalised advantage estimation (Schulman et al. 2016), per response as TRL and OpenRLHF
     * compute it: δ_t = r_t + γ·V_{t+1} − V_t with V after the last token 0, A_t = δ_t + γλ·A_{t+1},
     * return_t = A_t + V_t.
     */
    public static Gae gae(double[][] rewards, double[][] values, double gamma, double lambda) {
        double[][] adv = new double[rewards.length][], ret = new double[rewards.length][];
        for (int i = 0; i < rewards.length; i++) {
            int n = rewards[i].length;
            adv[i] = new double[n];
            ret[i] = new double[n];
            double last = 0;
            for (int t = n - 1; t >= 0; t--) {
                double next = t + 1 < n ? values[i][t + 1] : 0;
                double delta = rewards[i][t] + gamma * next - values[i][t];
                last = delta + gamma * lambda * last;
                adv[i][t] = last;
                ret[i][t] = last + values[i][t];
            }
        }
        return new Gae(adv, ret);
    }

    /**
     * TRL's masked_whiten over every token of every row: (x − mean)/√(var + 1e-8) with the unbiased
     * variance; {@code shiftMean} false adds the mean back. Fewer than two tokens: returned as is.
     */
    public static double[][] whiten(double[][] x, boolean shiftMean) {
        double sum = 0;
        long n = 0;
        for (double[] row : x) {
            for (double v : row) sum += v;
            n += row.length;
        }
        if (n < 2) return copy(x);
        double mean = sum / n, sq = 0;
        for (double[] row : x) for (double v : row) sq += (v - mean) * (v - mean);
        double var = sq / n * n / (n - 1);
        return normalised(x, mean, var, shiftMean);
    }

    /** How GRPO scales the group-centred rewards (TRL's scale_rewards). */
    public enum Scale {
        /** Divide by the group's standard deviation + 1e-4 (GRPO). */
        GROUP,
        /** Divide by the whole batch's standard deviation + 1e-4. */
        BATCH,
        /** Do not divide (Dr. GRPO). */
        NONE
    }

    /**
     * GRPO's group-relative advantages (TRL): the K rewards of each prompt (samples i·K … i·K+K−1)
     * minus their mean, divided by their unbiased standard deviation + 1e-4 (or the batch's, or
     * nothing). Invalid samples (a reward that failed and was dropped) take no part in the means
     * and get advantage 0; a group with one valid sample has standard deviation 0.
     */
    public static double[] groupAdvantages(double[] rewards, boolean[] valid, int k, Scale scale) {
        return groupAdvantages(rewards, valid, k, scale, scale == Scale.BATCH ? std(rewards, valid, 0, rewards.length) : 0);
    }

    /**
     * As {@link #groupAdvantages(double[], boolean[], int, Scale)} on data-parallel ranks: the groups
     * are each rank's own (a prompt's K samples live on one rank); the batch's standard deviation
     * (Scale.BATCH) comes from (count, Σ, Σ²) of the valid rewards summed over the ranks by {@code allReduce}.
     */
    public static double[] groupAdvantages(double[] rewards, boolean[] valid, int k, Scale scale,
                                           UnaryOperator<double[]> allReduce) {
        if (scale != Scale.BATCH) return groupAdvantages(rewards, valid, k, scale);
        double n = 0, sum = 0, squares = 0;
        for (int i = 0; i < rewards.length; i++) {
            if (!valid[i]) continue;
            n++;
            sum += rewards[i];
            squares += rewards[i] * rewards[i];
        }
        double[] s = allReduce.apply(new double[] {n, sum, squares});
        double std = s[0] < 2 ? 0 : Math.sqrt(Math.max(0, s[2] - s[1] * s[1] / s[0]) / (s[0] - 1));
        return groupAdvantages(rewards, valid, k, scale, std);
    }

    private static double[] groupAdvantages(double[] rewards, boolean[] valid, int k, Scale scale, double batchStd) {
        if (rewards.length % k != 0) throw new IllegalArgumentException(rewards.length + " rewards are not groups of " + k);
        double[] out = new double[rewards.length];
        for (int g = 0; g < rewards.length; g += k) {
            double mean = mean(rewards, valid, g, g + k);
            double std = scale == Scale.GROUP ? std(rewards, valid, g, g + k) : batchStd;
            for (int i = g; i < g + k; i++) {
                if (!valid[i]) continue;
                double a = rewards[i] - mean;
                out[i] = scale == Scale.NONE ? a : a / (std + 1e-4);
            }
        }
        return out;
    }

    /** Share of the groups of K whose valid rewards are all equal (TRL's frac_reward_zero_std): no signal there. */
    public static double zeroStdFraction(double[] rewards, boolean[] valid, int k) {
        int groups = rewards.length / k, flat = 0;
        for (int g = 0; g < rewards.length; g += k) if (std(rewards, valid, g, g + k) == 0) flat++;
        return groups == 0 ? 0 : (double) flat / groups;
    }

    /**
     * 1 − Var(returns − values) / Var(returns) over all tokens (population variances); NaN when the
     * returns do not vary.
     */
    public static double explainedVariance(double[][] values, double[][] returns) {
        double[][] diff = new double[values.length][];
        for (int i = 0; i < values.length; i++) {
            diff[i] = new double[values[i].length];
            for (int t = 0; t < diff[i].length; t++) diff[i][t] = returns[i][t] - values[i][t];
        }
        double v = variance(returns);
        return v == 0 ? Double.NaN : 1 - variance(diff) / v;
    }

    /** Mean over rows of the row's mean (rows without tokens skipped): OpenRLHF's KL of a rollout. */
    public static double meanOfRowMeans(double[][] x) {
        return meanOfRowMeans(x, UnaryOperator.identity())[0];
    }

    /**
     * Mean over all tokens of the rows of every data-parallel rank: {@code allReduce} sums
     * (tokens, Σx) over the ranks (the identity in one process).
     */
    public static double tokenMean(double[][] x, UnaryOperator<double[]> allReduce) {
        double[] s = allReduce.apply(sums(x));
        return s[0] == 0 ? Double.NaN : s[1] / s[0];
    }

    /** (count, Σx, Σx²) over every token of every row: what data-parallel ranks all-reduce. */
    public static double[] sums(double[][] x) {
        double n = 0, sum = 0, squares = 0;
        for (double[] row : x) {
            for (double v : row) {
                sum += v;
                squares += v * v;
            }
            n += row.length;
        }
        return new double[] {n, sum, squares};
    }

    /**
     * {@link #whiten} over the tokens of every data-parallel rank: the mean and unbiased variance
     * come from (count, Σx, Σx²) summed over the ranks by {@code allReduce}, so every rank whitens
     * its rows exactly as one process would whiten the whole rollout (up to rounding).
     */
    public static double[][] whiten(double[][] x, boolean shiftMean, UnaryOperator<double[]> allReduce) {
        double[] s = allReduce.apply(sums(x));
        double n = s[0];
        if (n < 2) return copy(x);
        double mean = s[1] / n;
        double var = Math.max(0, s[2] - n * mean * mean) / (n - 1);
        return normalised(x, mean, var, shiftMean);
    }

    /** {@link #explainedVariance(double[][], double[][])} over the tokens of every data-parallel rank, from all-reduced sums. */
    public static double explainedVariance(double[][] values, double[][] returns, UnaryOperator<double[]> allReduce) {
        double[][] diff = new double[values.length][];
        for (int i = 0; i < values.length; i++) {
            diff[i] = new double[values[i].length];
            for (int t = 0; t < diff[i].length; t++) diff[i][t] = returns[i][t] - values[i][t];
        }
        double[] r = sums(returns), d = sums(diff);
        double[] s = allReduce.apply(new double[] {r[0], r[1], r[2], d[1], d[2]});
        if (s[0] == 0) return Double.NaN;
        double vr = s[2] / s[0] - (s[1] / s[0]) * (s[1] / s[0]), vd = s[4] / s[0] - (s[3] / s[0]) * (s[3] / s[0]);
        return vr <= 0 ? Double.NaN : 1 - vd / vr;
    }

    /** {@link #meanOfRowMeans} over the rows of every data-parallel rank; also returns their count. */
    public static double[] meanOfRowMeans(double[][] x, UnaryOperator<double[]> allReduce) {
        double s = 0;
        int n = 0;
        for (double[] row : x) {
            if (row.length == 0) continue;
            double r = 0;
            for (double v : row) r += v;
            s += r / row.length;
            n++;
        }
        double[] t = allReduce.apply(new double[] {s, n});
        return new double[] {t[1] == 0 ? 0 : t[0] / t[1], t[1]};
    }

    /** Mean over all tokens. */
    public static double tokenMean(double[][] x) {
        double s = 0;
        long n = 0;
        for (double[] row : x) {
            for (double v : row) s += v;
            n += row.length;
        }
        return n == 0 ? Double.NaN : s / n;
    }

    private static double variance(double[][] x) {
        double m = tokenMean(x), s = 0;
        long n = 0;
        for (double[] row : x) {
            for (double v : row) s += (v - m) * (v - m);
            n += row.length;
        }
        return n == 0 ? 0 : s / n;
    }

    private static double mean(double[] x, boolean[] valid, int from, int to) {
        double s = 0;
        int n = 0;
        for (int i = from; i < to; i++) {
            if (valid[i]) {
                s += x[i];
                n++;
            }
        }
        return n == 0 ? 0 : s / n;
    }

    /** Unbiased (n − 1) standard deviation of the valid values; 0 for fewer than two. */
    private static double std(double[] x, boolean[] valid, int from, int to) {
        double m = mean(x, valid, from, to), s = 0;
        int n = 0;
        for (int i = from; i < to; i++) {
            if (valid[i]) {
                s += (x[i] - m) * (x[i] - m);
                n++;
            }
        }
        return n < 2 ? 0 : Math.sqrt(s / (n - 1));
    }

    private static double[][] copy(double[][] x) {
        double[][] out = new double[x.length][];
        for (int i = 0; i < x.length; i++) out[i] = x[i].clone();
        return out;
    }

    /** (x − mean) / sqrt(var + 1e-8), plus the mean again unless {@code shiftMean} (OpenRLHF's masked whitening). */
    private static double[][] normalised(double[][] x, double mean, double var, boolean shiftMean) {
        double scale = 1 / Math.sqrt(var + 1e-8);
        double[][] out = new double[x.length][];
        for (int i = 0; i < x.length; i++) {
            out[i] = new double[x[i].length];
            for (int t = 0; t < x[i].length; t++) out[i][t] = (x[i][t] - mean) * scale + (shiftMean ? 0 : mean);
        }
        return out;
    }
}
