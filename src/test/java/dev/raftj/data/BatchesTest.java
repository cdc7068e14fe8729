package dev.raftj.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import org.junit.jupiter.api.Test;

class BatchesTest {

    private static final List<Integer> ITEMS = List.of(0, 1, 2, 3, 4, 5, 6, 7, 8, 9);

    @Test
    void eachEpochVisitsEveryItemOnceInItsSeededOrder() {
        Batches<Integer> batches = new Batches<>(ITEMS, 5, 42);
        List<Integer> epoch0 = new ArrayList<>(batches.next());
        epoch0.addAll(batches.next());
        assertEquals(new Batches.Cursor(1, 0), batches.cursor());
        assertEquals(new HashSet<>(ITEMS), new HashSet<>(epoch0));
        int[] order = Shuffle.permutation(10, Shuffle.deriveSeed(42, 0));
        for (int i = 0; i < 10; i++) {
            assertEquals(ITEMS.get(order[i]), epoch0.get(i));
        }
        List<Integer> epoch1 = new ArrayList<>(batches.next());
        epoch1.addAll(batches.next());
        assertNotEquals(epoch0, epoch1); // a fresh order each epoch
    }

    @Test
    void batchCrossingAnEpochEndContinuesIntoTheNext() {
        Batches<Integer> batches = new Batches<>(ITEMS, 4, 1);
        batches.next();
        batches.next();
        assertEquals(new Batches.Cursor(0, 8), batches.cursor());
        List<Integer> third = batches.next(); // 2 from epoch 0, 2 from epoch 1
        assertEquals(4, third.size());
        assertEquals(new Batches.Cursor(1, 2), batches.cursor());
        int[] order0 = Shuffle.permutation(10, Shuffle.deriveSeed(1, 0));
        int[] order1 = Shuffle.permutation(10, Shuffle.deriveSeed(1, 1));
        assertEquals(List.of(order0[8], order0[9], order1[0], order1[1]), third);
    }

    @Test
    void resumingFromASavedCursorGivesTheSameBatches() {
        Batches<Integer> straight = new Batches<>(ITEMS, 3, 9);
        for (int i = 0; i < 5; i++) {
            straight.next();
        }
        Batches.Cursor saved = straight.cursor();
        List<List<Integer>> expected = List.of(straight.next(), straight.next(), straight.next());

        Batches<Integer> resumed = new Batches<>(ITEMS, 3, 9, saved);
        assertEquals(expected, List.of(resumed.next(), resumed.next(), resumed.next()));
        assertEquals(straight.cursor(), resumed.cursor());
    }

    @Test
    void batchLargerThanTheDatasetWraps() {
        Batches<Integer> batches = new Batches<>(List.of(1, 2, 3), 7, 0);
        assertEquals(7, batches.next().size());
        assertEquals(new Batches.Cursor(2, 1), batches.cursor());
    }

    @Test
    void rejectsBadArguments() {
        assertThrows(IllegalArgumentException.class, () -> new Batches<>(List.of(), 1, 0));
        assertThrows(IllegalArgumentException.class, () -> new Batches<>(ITEMS, 0, 0));
        assertThrows(IllegalArgumentException.class, () -> new Batches<>(ITEMS, 2, 0, new Batches.Cursor(0, 10)));
        assertThrows(IllegalArgumentException.class, () -> new Batches<>(ITEMS, 2, 0, new Batches.Cursor(-1, 0)));
    }
}
