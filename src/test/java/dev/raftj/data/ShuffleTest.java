package dev.raftj.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

class ShuffleTest {

    @Test
    void splitMix64MatchesPublishedOutputForSeedZero() {
        Shuffle.SplitMix64 r = new Shuffle.SplitMix64(0);
        assertEquals(0xE220A8397B1DCDAFL, r.nextLong());
        assertEquals(0x6E789E6AA1B965F4L, r.nextLong());
        assertEquals(0x06C45D188009454FL, r.nextLong());
    }

    @Test
    void permutationIsPinned() {
        // computed by an independent Python implementation of the same SplitMix64 + Fisher-Yates
        assertArrayEquals(new int[] {3, 8, 4, 2, 9, 5, 7, 1, 0, 6}, Shuffle.permutation(10, 42));
        assertArrayEquals(new int[] {2, 5, 4, 9, 6, 1, 7, 8, 3, 0}, Shuffle.permutation(10, 43));
    }

    @Test
    void sameSeedSameOrderDifferentSeedDifferentOrder() {
        assertArrayEquals(Shuffle.permutation(100, 7), Shuffle.permutation(100, 7));
        assertFalse(Arrays.equals(Shuffle.permutation(100, 7), Shuffle.permutation(100, 8)));
        int[] sorted = Shuffle.permutation(100, 7).clone();
        Arrays.sort(sorted);
        for (int i = 0; i < 100; i++) {
            assertEquals(i, sorted[i]); // a permutation
        }
        assertArrayEquals(new int[] {}, Shuffle.permutation(0, 1));
        assertArrayEquals(new int[] {0}, Shuffle.permutation(1, 1));
    }

    @Test
    void nextIntStaysInBounds() {
        Shuffle.SplitMix64 r = new Shuffle.SplitMix64(5);
        int[] counts = new int[3];
        for (int i = 0; i < 3000; i++) {
            counts[r.nextInt(3)]++;
        }
        for (int c : counts) {
            assertEquals(1000, c, 150);
        }
        assertThrows(IllegalArgumentException.class, () -> r.nextInt(0));
    }

    @Test
    void derivedSeedsDiffer() {
        assertFalse(Shuffle.deriveSeed(1, 0) == Shuffle.deriveSeed(1, 1));
        assertFalse(Shuffle.deriveSeed(1, 0) == Shuffle.deriveSeed(2, 0));
        assertEquals(Shuffle.deriveSeed(1, 5), Shuffle.deriveSeed(1, 5));
    }
}
