package dev.raftj.dist;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class RolloutShardsTest {
    @Test
    void theRanksPartsOfAMinibatchMakeUpOneProcesssMinibatchInItsOrder() {
        long[] counts = {3, 0, 2}; // rank 1 holds no rows at all
        int[] order = {4, 0, 3, 2, 1};
        List<Integer> joined = new ArrayList<>();
        for (int from = 0; from < 5; from += 2) {
            int to = Math.min(5, from + 2);
            List<Integer> minibatch = new ArrayList<>();
            for (int rank = 0, offset = 0; rank < 3; offset += (int) counts[rank], rank++) {
                RolloutShards s = RolloutShards.of(counts, rank);
                assertEquals(5, s.total());
                for (int i : s.part(order, from, to)) minibatch.add(offset + i);
            }
            List<Integer> expected = new ArrayList<>();
            for (int j = from; j < to; j++) expected.add(order[j]);
            minibatch.sort(null);
            expected.sort(null);
            assertEquals(expected, minibatch, "minibatch from " + from);
            joined.addAll(minibatch);
        }
        assertEquals(5, joined.size());
        // rank 0's part of the first minibatch {4, 0}: its row 0; rank 2's: row 4 − 3 = 1
        assertArrayEquals(new int[] {0}, RolloutShards.of(counts, 0).part(order, 0, 2));
        assertArrayEquals(new int[] {1}, RolloutShards.of(counts, 2).part(order, 0, 2));
        assertArrayEquals(new int[0], RolloutShards.of(counts, 1).part(order, 0, 5));
        // rows in the permutation's order
        assertArrayEquals(new int[] {0, 2, 1}, RolloutShards.of(counts, 0).part(order, 0, 5));
    }
}
