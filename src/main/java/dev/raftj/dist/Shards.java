package dev.raftj.dist;

import java.util.ArrayList;
import java.util.List;

/** Pure arithmetic of data parallelism: contiguous shards, gradient buckets, packed sequences. */
public final class Shards {
    private Shards() {}

    /**
     * The rows [from, to) of n that rank r of w takes: contiguous, in rank order, sizes differing
     * by at most one (the first n mod w ranks take one more), so the shards concatenated in rank
     * order are the whole list in its order.
     */
    public static int[] range(int n, int rank, int world) {
        int base = n / world, extra = n % world;
        int from = rank * base + Math.min(rank, extra);
        return new int[] {from, from + base + (rank < extra ? 1 : 0)};
    }

    /** Rank r's shard of {@code items} ({@link #range}). */
    public static <T> List<T> of(List<T> items, int rank, int world) {
        int[] r = range(items.size(), rank, world);
        return items.subList(r[0], r[1]);
    }

    /**
     * Gradient buckets: consecutive parameters grouped while a group stays within {@code capElements}
     * (a parameter larger than the cap gets a bucket of its own). Returns each bucket's first index
     * and the index after its last, as pairs.
     */
    public static List<int[]> buckets(long[] numels, long capElements) {
        List<int[]> out = new ArrayList<>();
        int start = 0;
        long size = 0;
        for (int i = 0; i < numels.length; i++) {
            if (i > start && size + numels[i] > capElements) {
                out.add(new int[] {start, i});
                start = i;
                size = 0;
            }
            size += numels[i];
        }
        if (start < numels.length) out.add(new int[] {start, numels.length});
        return out;
    }

    /** Sequences as one flat array: count, each length, then the values. */
    public static long[] pack(List<int[]> sequences) {
        int total = 0;
        for (int[] s : sequences) total += s.length;
        long[] out = new long[1 + sequences.size() + total];
        out[0] = sequences.size();
        int at = 1 + sequences.size();
        for (int i = 0; i < sequences.size(); i++) {
            int[] s = sequences.get(i);
            out[1 + i] = s.length;
            for (int v : s) out[at++] = v;
        }
        return out;
    }

    /** The inverse of {@link #pack}; {@code flat} may hold several packed lists back to back (one per rank). */
    public static List<int[]> unpackAll(long[] flat) {
        List<int[]> out = new ArrayList<>();
        int at = 0;
        while (at < flat.length) {
            int n = (int) flat[at];
            int values = at + 1 + n;
            for (int i = 0; i < n; i++) {
                int[] s = new int[(int) flat[at + 1 + i]];
                for (int j = 0; j < s.length; j++) s[j] = (int) flat[values++];
                out.add(s);
            }
            at = values;
        }
        return out;
    }
}
