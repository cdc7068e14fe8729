package dev.raftj.dist;

import java.util.ArrayList;
import java.util.List;

/**
 * Where this rank's rollout rows stand in the stage's whole rollout (GRPO, PPO): each rank holds
 * the rows of its own prompts, and the whole rollout is the ranks' rows concatenated in rank order,
 * as one process would hold them. Every rank shuffles the whole rollout's indices with the same
 * seed and takes, from each minibatch, the rows it holds: the ranks' parts of a minibatch make up
 * exactly one process's minibatch, however unequal the shards.
 */
public final class RolloutShards {
    private final int offset, local, total;

    private RolloutShards(int offset, int local, int total) {
        this.offset = offset;
        this.local = local;
        this.total = total;
    }

    /** The ranks' row counts are all-gathered: one small collective per stage. */
    public static RolloutShards of(World world, int localRows) {
        long[] counts = world.allGather(new long[] {localRows});
        return of(counts, world.rank());
    }

    /** From every rank's row count (pure, for tests). */
    public static RolloutShards of(long[] counts, int rank) {
        long offset = 0, total = 0;
        for (int r = 0; r < counts.length; r++) {
            if (r < rank) offset += counts[r];
            total += counts[r];
        }
        return new RolloutShards((int) offset, (int) counts[rank], (int) total);
    }

    /** Rows in the whole rollout (all ranks). */
    public int total() {
        return total;
    }

    /** Indices into this rank's rows of the whole rollout's rows order[from..to) that it holds, in that order. */
    public int[] part(int[] order, int from, int to) {
        List<Integer> mine = new ArrayList<>();
        for (int j = from; j < to; j++) {
            int i = order[j] - offset;
            if (i >= 0 && i < local) mine.add(i);
        }
        return mine.stream().mapToInt(Integer::intValue).toArray();
    }
}
