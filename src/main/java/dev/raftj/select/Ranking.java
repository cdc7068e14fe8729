package dev.raftj.select;

import java.util.Arrays;

/**
 * RAFT's rankers as pure functions over host arrays (the GPU path, {@code Kernels.segmentedTopK}
 * and {@code Kernels.globalTopK}, has the same semantics).
 *
 * <p>Conventions: samples are prompt-major, sample j of prompt i at index i·k + j. Ties go to the
 * lower index. Keys are compared in float32, as the kernels compare them (each key is rounded to
 * float first). {@code valid} (null = all valid) masks out dropped or filtered samples, which are
 * never kept; a NaN reward on a valid sample is a caller bug and throws. Results are indices into
 * the reward array, best first (per prompt for the local ranker).
 */
public final class Ranking {

    private Ranking() {}

    /**
     * Local ranking: the best m of each prompt's k samples (RAFT's default, m = 1). A prompt with
     * fewer than m valid samples contributes all its valid ones. Prompts appear in order, each
     * prompt's kept samples best first.
     */
    public static int[] localTopM(double[] rewards, int promptCount, int k, int m, boolean[] valid) {
        checkShape(rewards, valid);
        if (promptCount < 0 || k < 1 || m < 1) {
            throw new IllegalArgumentException("need promptCount >= 0, k >= 1, m >= 1; got "
                    + promptCount + ", " + k + ", " + m);
        }
        if ((long) promptCount * k != rewards.length) {
            throw new IllegalArgumentException(rewards.length + " rewards, expected promptCount*k = "
                    + promptCount + "*" + k);
        }
        int[] kept = new int[promptCount * Math.min(m, k)];
        int count = 0;
        for (int p = 0; p < promptCount; p++) {
            int[] best = topIndices(rewards, valid, p * k, (p + 1) * k, m);
            System.arraycopy(best, 0, kept, count, best.length);
            count += best.length;
        }
        return Arrays.copyOf(kept, count);
    }

    /**
     * Global ranking: the top ceil(fraction·N) samples of the whole batch of N (LMFlow's "top"
     * with fraction 1/K), fewer if fewer are valid. fraction must be in (0, 1].
     */
    public static int[] globalTopFraction(double[] rewards, double fraction, boolean[] valid) {
        if (!(fraction > 0 && fraction <= 1)) {
            throw new IllegalArgumentException("fraction must be in (0, 1], got " + fraction);
        }
        return globalTopK(rewards, keepCount(rewards.length, fraction), valid);
    }

    /** The top count samples of the whole batch, best first (fewer if fewer are valid). */
    public static int[] globalTopK(double[] rewards, int count, boolean[] valid) {
        checkShape(rewards, valid);
        if (count < 0) {
            throw new IllegalArgumentException("count must be >= 0, got " + count);
        }
        return topIndices(rewards, valid, 0, rewards.length, count);
    }

    /**
     * ceil(fraction·n), computed so that a product that is an integer up to rounding
     * (0.1·30 = 3.0000000000000004) is not rounded up to the next one.
     */
    public static int keepCount(int n, double fraction) {
        double exact = fraction * n;
        long nearest = Math.round(exact);
        if (Math.abs(exact - nearest) <= 1e-9 * Math.max(1.0, exact)) {
            return (int) nearest;
        }
        return (int) Math.ceil(exact);
    }

    /**
     * KL-adjusted ranking key r − β·(logp − logpRef), where logp is the sequence log-probability
     * under the policy and logpRef under the initial model: among equal rewards it prefers
     * samples the policy has not drifted towards. It changes only which samples are kept, never
     * the fine-tuning loss. β = 0 returns a copy of the rewards.
     */
    public static double[] klAdjusted(double[] rewards, double[] logp, double[] logpRef, double beta) {
        if (logp.length != rewards.length || logpRef.length != rewards.length) {
            throw new IllegalArgumentException("lengths differ: rewards " + rewards.length
                    + ", logp " + logp.length + ", logpRef " + logpRef.length);
        }
        double[] key = new double[rewards.length];
        float b = (float) beta;
        for (int i = 0; i < key.length; i++) {
            // float32, operation by operation, as the kernels compute it: r − β·(logp − logpRef)
            key[i] = beta == 0 ? (float) rewards[i]
                    : (float) rewards[i] - b * ((float) logp[i] - (float) logpRef[i]);
        }
        return key;
    }

    /** Indices of the best {@code count} valid entries in [from, to), best first, ties to lower index. */
    static int[] topIndices(double[] key64, boolean[] valid, int from, int to, int count) {
        float[] key = new float[key64.length];
        for (int i = from; i < to; i++) key[i] = (float) key64[i];
        Integer[] candidates = new Integer[to - from];
        int n = 0;
        for (int i = from; i < to; i++) {
            if (valid == null || valid[i]) {
                if (Double.isNaN(key[i])) {
                    throw new IllegalArgumentException("NaN reward at index " + i
                            + " is marked valid (RewardGuard should have dropped it)");
                }
                candidates[n++] = i;
            }
        }
        // Stable sort by descending key: equal keys keep ascending index order. Compared with
        // < and > rather than Double.compare so that -0.0 and 0.0 tie, as on the GPU.
        Arrays.sort(candidates, 0, n, (a, b) -> key[a] > key[b] ? -1 : key[a] < key[b] ? 1 : 0);
        int kept = Math.min(count, n);
        int[] result = new int[kept];
        for (int i = 0; i < kept; i++) {
            result[i] = candidates[i];
        }
        return result;
    }

    private static void checkShape(double[] rewards, boolean[] valid) {
        if (valid != null && valid.length != rewards.length) {
            throw new IllegalArgumentException(rewards.length + " rewards but " + valid.length + " valid flags");
        }
    }
}
