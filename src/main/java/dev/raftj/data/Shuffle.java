package dev.raftj.data;

/**
 * Seeded shuffling that gives the same order on every JVM and version: SplitMix64 (Steele, Lea
 * and Flood 2014), written out here rather than borrowed from java.util, whose generators'
 * output is not part of their specification, and a Fisher–Yates shuffle.
 */
public final class Shuffle {

    private Shuffle() {}

    /** SplitMix64: a 64-bit state advanced by the golden gamma, then a finaliser. */
    public static final class SplitMix64 {
        private long state;

        public SplitMix64(long seed) {
            this.state = seed;
        }

        public long nextLong() {
            state += 0x9E3779B97F4A7C15L;
            return mix(state);
        }

        /** Uniform in [0, bound), without modulo bias (rejects the incomplete last block). */
        public int nextInt(int bound) {
            if (bound <= 0) {
                throw new IllegalArgumentException("bound must be positive, got " + bound);
            }
            long bits;
            long value;
            do {
                bits = nextLong() >>> 1;
                value = bits % bound;
            } while (bits - value + (bound - 1) < 0); // overflow: bits fell in the incomplete block
            return (int) value;
        }
    }

    /** SplitMix64's finaliser (a bijection on 64-bit values that mixes all bits). */
    public static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /** An independent seed for a named stream of a run (e.g. the epoch number) from the run's seed. */
    public static long deriveSeed(long seed, long stream) {
        return mix(mix(seed) + stream);
    }

    /** A permutation of 0..n−1 by Fisher–Yates, determined by the seed. */
    public static int[] permutation(int n, long seed) {
        int[] order = new int[n];
        for (int i = 0; i < n; i++) {
            order[i] = i;
        }
        SplitMix64 random = new SplitMix64(seed);
        for (int i = n - 1; i > 0; i--) {
            int j = random.nextInt(i + 1);
            int swap = order[i];
            order[i] = order[j];
            order[j] = swap;
        }
        return order;
    }
}
