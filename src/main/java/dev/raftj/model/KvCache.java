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
