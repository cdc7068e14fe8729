package dev.raftj.data;

import java.util.ArrayList;
import java.util.List;

/**
 * Yields batches of b items per RAFT stage, epoch after epoch, each epoch in a fresh seeded order,
 * and can resume exactly from a saved {@link Cursor}.
 *
 * <p>Epoch e visits the items in the order {@code Shuffle.permutation(n, deriveSeed(seed, e))}.
 * Every batch has exactly b items: a batch that reaches the end of an epoch continues into the
 * next epoch's order (so with b &gt; n a batch holds some items twice). Resuming needs the same
 * items in the same order, the same b and the same seed; the checkpoint should record them.
 */
public final class Batches<T> {

    /**
     * Where the next batch starts: {@code position} in epoch {@code epoch}'s order (0-based both).
     */
    public record Cursor(long epoch, int position) {
        public static final Cursor START = new Cursor(0, 0);
    }

    private final List<T> items;
    private final int batchSize;
    private final long seed;
    private long epoch;
    private int position;
    private int[] order; // epoch's order, computed on entering the epoch

    public Batches(List<T> items, int batchSize, long seed, Cursor start) {
        if (items.isEmpty()) {
            throw new IllegalArgumentException("no items to batch");
        }
        if (batchSize < 1) {
            throw new IllegalArgumentException("batch size must be >= 1, got " + batchSize);
        }
        if (start.epoch() < 0 || start.position() < 0 || start.position() >= items.size()) {
            throw new IllegalArgumentException("cursor " + start + " is outside a dataset of "
                    + items.size() + " items");
        }
        this.items = List.copyOf(items);
        this.batchSize = batchSize;
        this.seed = seed;
        this.epoch = start.epoch();
        this.position = start.position();
        this.order = Shuffle.permutation(items.size(), Shuffle.deriveSeed(seed, epoch));
    }

    public Batches(List<T> items, int batchSize, long seed) {
        this(items, batchSize, seed, Cursor.START);
    }

    /** The next b items, advancing the cursor. */
    public List<T> next() {
        List<T> batch = new ArrayList<>(batchSize);
        while (batch.size() < batchSize) {
            batch.add(items.get(order[position]));
            position++;
            if (position == items.size()) {
                epoch++;
                position = 0;
                order = Shuffle.permutation(items.size(), Shuffle.deriveSeed(seed, epoch));
            }
        }
        return batch;
    }

    /** Where the next batch starts; save it with a checkpoint to resume exactly there. */
    public Cursor cursor() {
        return new Cursor(epoch, position);
    }

    public int batchSize() {
        return batchSize;
    }

    public int size() {
        return items.size();
    }
}
