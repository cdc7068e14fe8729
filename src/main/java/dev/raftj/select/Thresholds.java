package dev.raftj.select;

import java.util.Arrays;

/**
 * ReST's Improve-step filters as pure functions. Results are ascending sample indices.
 *
 * <p>ReST filters Grow samples with rising thresholds τ on rewards normalised to [0, 1]. The
 * normalisation here is min-max over the valid samples of the Grow set,
 * (r − min) / (max − min); a Grow set whose valid rewards are all equal normalises to all 1
 * (nothing distinguishes them, so no threshold should discard them). The filter keeps
 * r ≥ τ: the paper writes 1[R &gt; τ], but with ≥ the usual first threshold τ = 0 keeps the whole
 * Grow set (plain behaviour cloning on it) and τ = 1 keeps the best samples, so every τ in [0, 1]
 * means something.
 */
public final class Thresholds {

    private Thresholds() {}

    /**
     * Min-max normalisation over the valid samples (null = all). Invalid samples get NaN, which
     * no threshold keeps. All-equal valid rewards give 1.
     */
    public static double[] normaliseMinMax(double[] rewards, boolean[] valid) {
        checkShape(rewards, valid);
        double min = Double.POSITIVE_INFINITY;
        double max = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < rewards.length; i++) {
            if (isValid(rewards, valid, i)) {
                min = Math.min(min, rewards[i]);
                max = Math.max(max, rewards[i]);
            }
        }
        double range = max - min;
        double[] normalised = new double[rewards.length];
        for (int i = 0; i < rewards.length; i++) {
            if (!isValid(rewards, valid, i)) {
                normalised[i] = Double.NaN;
            } else {
                normalised[i] = range > 0 ? (rewards[i] - min) / range : 1.0;
            }
        }
        return normalised;
    }

    /** Indices with normalised reward ≥ τ (NaN is never kept). */
    public static int[] filterAbove(double[] normalised, double tau) {
        int[] kept = new int[normalised.length];
        int n = 0;
        for (int i = 0; i < normalised.length; i++) {
            if (normalised[i] >= tau) {
                kept[n++] = i;
            }
        }
        return Arrays.copyOf(kept, n);
    }

    /**
     * ReST-EM's filter for a binary (correct / incorrect) reward: keep valid samples with
     * reward &gt; 0.5, i.e. the correct ones (reward 1).
     */
    public static int[] keepCorrect(double[] rewards, boolean[] valid) {
        checkShape(rewards, valid);
        int[] kept = new int[rewards.length];
        int n = 0;
        for (int i = 0; i < rewards.length; i++) {
            if (isValid(rewards, valid, i) && rewards[i] > 0.5) {
                kept[n++] = i;
            }
        }
        return Arrays.copyOf(kept, n);
    }

    /**
     * Per-prompt percentile filter: within each prompt's k samples (prompt-major, sample j of
     * prompt i at i·k + j), keep the valid samples whose reward is ≥ that prompt's
     * {@code percentile}-th percentile of its valid rewards ({@link #percentile}, linear
     * interpolation). percentile 0 keeps every valid sample, 100 keeps the best (with ties).
     * Unlike a global τ, it adapts to prompts whose rewards sit on different scales.
     */
    public static int[] filterPerPromptPercentile(double[] rewards, int promptCount, int k,
                                                  double percentile, boolean[] valid) {
        checkShape(rewards, valid);
        if ((long) promptCount * k != rewards.length) {
            throw new IllegalArgumentException(rewards.length + " rewards, expected promptCount*k = "
                    + promptCount + "*" + k);
        }
        if (!(percentile >= 0 && percentile <= 100)) {
            throw new IllegalArgumentException("percentile must be in [0, 100], got " + percentile);
        }
        int[] kept = new int[rewards.length];
        int n = 0;
        double[] values = new double[k];
        for (int p = 0; p < promptCount; p++) {
            int count = 0;
            for (int i = p * k; i < (p + 1) * k; i++) {
                if (isValid(rewards, valid, i)) {
                    values[count++] = rewards[i];
                }
            }
            if (count == 0) {
                continue;
            }
            double[] sorted = Arrays.copyOf(values, count);
            Arrays.sort(sorted);
            double cut = percentile(sorted, percentile);
            for (int i = p * k; i < (p + 1) * k; i++) {
                if (isValid(rewards, valid, i) && rewards[i] >= cut) {
                    kept[n++] = i;
                }
            }
        }
        return Arrays.copyOf(kept, n);
    }

    /**
     * The q-th percentile (q in [0, 100]) of ascending values, interpolating linearly between
     * the two nearest ranks (numpy's default): position q/100·(n − 1).
     */
    public static double percentile(double[] ascending, double q) {
        if (ascending.length == 0) {
            throw new IllegalArgumentException("percentile of no values");
        }
        double position = q / 100.0 * (ascending.length - 1);
        int lower = (int) Math.floor(position);
        int upper = Math.min(lower + 1, ascending.length - 1);
        double fraction = position - lower;
        if (fraction == 0) {
            return ascending[lower];
        }
        return ascending[lower] + fraction * (ascending[upper] - ascending[lower]);
    }

    private static boolean isValid(double[] rewards, boolean[] valid, int i) {
        return (valid == null || valid[i]) && !Double.isNaN(rewards[i]);
    }

    private static void checkShape(double[] rewards, boolean[] valid) {
        if (valid != null && valid.length != rewards.length) {
            throw new IllegalArgumentException(rewards.length + " rewards but " + valid.length + " valid flags");
        }
    }
}
