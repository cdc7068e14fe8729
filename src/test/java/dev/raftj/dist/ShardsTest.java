package dev.raftj.dist;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

class ShardsTest {
    @Test
    void shardsAreContiguousInRankOrderAndDifferByAtMostOne() {
        // 10 rows over 3 ranks: 4, 3, 3
        assertArrayEquals(new int[] {0, 4}, Shards.range(10, 0, 3));
        assertArrayEquals(new int[] {4, 7}, Shards.range(10, 1, 3));
        assertArrayEquals(new int[] {7, 10}, Shards.range(10, 2, 3));
        // fewer rows than ranks: the last rank gets none
        assertArrayEquals(new int[] {1, 2}, Shards.range(2, 1, 3));
        assertArrayEquals(new int[] {2, 2}, Shards.range(2, 2, 3));
        assertArrayEquals(new int[] {0, 5}, Shards.range(5, 0, 1));
        assertEquals(List.of("c", "d"), Shards.of(List.of("a", "b", "c", "d"), 1, 2));
    }

    @Test
    void bucketsGroupConsecutiveParametersUpToTheCap() {
        // cap 10: [4, 5] = 9; 3 would make 12 -> new bucket [3]; 20 > cap alone; [1, 2]
        List<int[]> b = Shards.buckets(new long[] {4, 5, 3, 20, 1, 2}, 10);
        assertEquals(4, b.size());
        assertArrayEquals(new int[] {0, 2}, b.get(0));
        assertArrayEquals(new int[] {2, 3}, b.get(1));
        assertArrayEquals(new int[] {3, 4}, b.get(2));
        assertArrayEquals(new int[] {4, 6}, b.get(3));
        assertEquals(0, Shards.buckets(new long[0], 10).size());
    }

    @Test
    void packedSequencesFromSeveralRanksUnpackInOrder() {
        long[] a = Shards.pack(List.of(new int[] {7, 8}, new int[] {}));
        assertArrayEquals(new long[] {2, 2, 0, 7, 8}, a);
        long[] b = Shards.pack(List.of(new int[] {-3}));
        long[] both = new long[a.length + b.length];
        System.arraycopy(a, 0, both, 0, a.length);
        System.arraycopy(b, 0, both, a.length, b.length);
        List<int[]> out = Shards.unpackAll(both);
        assertEquals(3, out.size());
        assertArrayEquals(new int[] {7, 8}, out.get(0));
        assertArrayEquals(new int[] {}, out.get(1));
        assertArrayEquals(new int[] {-3}, out.get(2));
        assertEquals(0, Shards.unpackAll(Shards.pack(List.of())).size());
    }
}
