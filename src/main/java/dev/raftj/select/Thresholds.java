package dev.raftj.select;

import java.util.Arrays;

/**
 * ReST's Improve-step filters as pure functions. Results are ascending sample indices; invalid
 * samples (dropped or filtered, or a NaN reward) are never kept.
 *
 * <p>A threshold τ becomes a cut on the reward's own scale: on the {@code quantile} scale it is
 * the τ-quantile of the Grow set's valid rewards (linear interpolation, numpy's default), so τ = 0
 * keeps the whole Grow set and τ = 0.9 about its best tenth, whatever the reward's range; on the
 * {@code reward} scale the cut is τ itself. A sample is kept when its reward is ≥ the cut (the
 * paper writes 1[R &gt; τ]; with ≥ the usual first threshold τ = 0 keeps the whole Grow set).
 */
public final class Thresholds {

    private Thresholds() {}

    /** The τ-quantile (τ in [0, 1]) of the valid rewards; NaN when none is valid. */
    public static double quantile(double[] rewards, boolean[] valid, double tau) {
        checkShape(rewards, valid);
        double[] values = new double[rewards.length];
        int n = 0;
        for (int i = 0; i < rewards.length; i++) if (isValid(rewards, valid, i)) values[n++] = rewards[i];
        if (n == 0) return Double.NaN;
        double[] sorted = Arrays.copyOf(values, n);
        Arrays.sort(sorted);
        return percentile(sorted, 100 * tau);
    }

    /** Indices of valid samples with reward ≥ cut (a NaN cut keeps nothing). */
    public static int[] keepAtLeast(double[] rewards, boolean[] valid, double cut) {
        checkShape(rewards, valid);
        int[] kept = new int[rewards.length];
        int n = 0;
        for (int i = 0; i < rewards.length; i++) {
            if (isValid(rewards, valid, i) && rewards[i] >= cut) kept[n++] = i;
        }
        return Arrays.copyOf(kept, n);
    }

    /** The index of the first valid reward that is neither 0 nor 1, or −1 when the reward is binary. */
    public static int firstNonBinary(double[] rewards, boolean[] valid) {
        checkShape(rewards, valid);
        for (int i = 0; i < rewards.length; i++) {
            if (isValid(rewards, valid, i) && rewards[i] != 0 && rewards[i] != 1) return i;
        }
        return -1;
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
