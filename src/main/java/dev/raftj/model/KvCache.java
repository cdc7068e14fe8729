package dev.raftj.model;

import dev.raftj.torch.Torch;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch;

/**
 * Keys and values of every layer, preallocated to {@code capacity} positions so that decoding
 * writes in place instead of concatenating per step. Also holds the key padding mask.
 */
public final class KvCache implements AutoCloseable {
    final Tensor[] keys;    // per layer [B, kvHeads, capacity, headDim]
    final Tensor[] values;
    final Tensor keyMask;   // [B, capacity] bool: false for padding
    final int capacity;
    int length;

    private KvCache(Tensor[] keys, Tensor[] values, Tensor keyMask, int capacity, int length) {
        this.keys = keys;
        this.values = values;
        this.keyMask = keyMask;
        this.capacity = capacity;
        this.length = length;
    }

    public KvCache(ModelConfig c, long batch, int capacity, TensorOptions options) {
        this.capacity = capacity;
        keys = new Tensor[c.layers];
        values = new Tensor[c.layers];
        for (int i = 0; i < c.layers; i++) {
            keys[i] = torch.zeros(new long[] {batch, c.kvHeads, capacity, c.headDim}, options);
            values[i] = torch.zeros(new long[] {batch, c.kvHeads, capacity, c.headDim}, options);
        }
        keyMask = torch.zeros(new long[] {batch, capacity},
                Torch.options(torch.ScalarType.Bool, options.device()));
    }

    public int length() {
        return length;
    }

    /** Stores the new tokens' padding mask [B, T]; returns the mask over all cached keys. */
    Tensor appendMask(Tensor newMask, int t) {
        if (length + t > capacity) {
            throw new IllegalStateException("KV cache full: " + length + " + " + t + " > " + capacity);
        }
        keyMask.narrow(1, length, t).copy_(newMask);
        return keyMask.narrow(1, 0, length + t);
    }

    /** Writes layer {@code layer}'s new keys/values [B, kvHeads, T, D]; returns all keys/values so far. */
    Tensor[] append(int layer, Tensor k, Tensor v) {
        int t = (int) k.size(2);
        keys[layer].narrow(2, length, t).copy_(k);
        values[layer].narrow(2, length, t).copy_(v);
        return new Tensor[] {keys[layer].narrow(2, 0, length + t), values[layer].narrow(2, 0, length + t)};
    }

    /**
     * A new cache of {@code k} copies of each row (row r becomes rows r·k … r·k+k−1, the
     * prompt-major layout of generation) with room for {@code capacity} positions, holding this
     * cache's {@link #length()} positions. This is how K samples share one prefill of their prompt.
     */
    public KvCache repeatRows(int k, int capacity) {
        if (capacity < length) throw new IllegalArgumentException("capacity " + capacity + " < length " + length);
        Tensor[] ks = new Tensor[keys.length], vs = new Tensor[values.length];
        for (int i = 0; i < keys.length; i++) {
            ks[i] = grow(keys[i], k, capacity, 2);
            vs[i] = grow(values[i], k, capacity, 2);
        }
        return new KvCache(ks, vs, grow(keyMask, k, capacity, 1), capacity, length);
    }

    private Tensor grow(Tensor t, int k, int capacity, int dim) {
        long[] shape = Torch.shape(t);
        shape[0] *= k;
        shape[dim] = capacity;
        Tensor out = torch.zeros(shape, new TensorOptions(t.scalar_type()).device(new org.bytedeco.pytorch.DeviceOptional(t.device())));
        if (length > 0) {
            // [B, …] → [B, k, …] → [B·k, …]: each row repeated k times, adjacent.
            Tensor src = t.narrow(dim, 0, length);
            long[] view = new long[shape.length + 1];
            long[] srcShape = Torch.shape(src);
            view[0] = srcShape[0];
            view[1] = k;
            for (int j = 1; j < srcShape.length; j++) view[j + 1] = srcShape[j];
            long[] expanded = view.clone();
            long[] unsq = view.clone();
            unsq[1] = 1;
            out.narrow(dim, 0, length).view(view).copy_(src.view(unsq).expand(expanded));
        }
        return out;
    }

    void advance(int t) {
        length += t;
    }

    @Override
    public void close() {
        for (Tensor t : keys) t.close();
        for (Tensor t : values) t.close();
        keyMask.close();
    }
}
