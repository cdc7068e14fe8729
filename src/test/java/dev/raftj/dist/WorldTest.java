package dev.raftj.dist;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.util.List;
import org.junit.jupiter.api.Test;

class WorldTest {
    @Test
    void paddedGathersLoseTheirPadding() {
        // 3 ranks sent 2, 0 and 1 values, each padded to 2
        long[] padded = {1, 2, 9, 9, 3, 9};
        assertArrayEquals(new long[] {1, 2, 3}, (long[]) World.unpad(padded, new long[3], new long[] {2, 0, 1}, 2));
    }

    @Test
    void aWorldOfOneIsTheIdentity() {
        World w = World.single();
        assertFalse(w.distributed());
        assertEquals(List.of(1, 2, 3), w.shard(List.of(1, 2, 3)));
        assertEquals(42L, w.seed(42), "rank 0 keeps the run's seeds");
        assertArrayEquals(new double[] {1.5, 2}, w.allGather(new double[] {1.5, 2}));
        assertArrayEquals(new double[] {3}, w.allReduceSum(new double[] {3}));
        assertEquals("x", w.share("out", "x"));
    }
}
