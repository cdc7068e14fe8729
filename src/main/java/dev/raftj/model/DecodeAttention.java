package dev.raftj.model;

import dev.raftj.kernels.CpuKernels;
import dev.raftj.torch.Torch;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * Decoding's attention: one new query per row over the KV cache, no dropout, no gradient. On the
 * CPU in float32 it runs raftj's kernel ({@code src/main/native/cpu/decode_attention.cpp}), which
 * reads each (row, head)'s cached keys and values once and writes nothing else; the (row, head)
 * pairs are split over the common fork-join pool, as many parts as LibTorch has threads. Elsewhere,
 * or where the kernel was not built, {@link #reference}: LibTorch ops that write and re-read
 * [B, H, L, D] temporaries (CPU SDPA instead makes two tiny BLAS calls per row and head).
 */
final class DecodeAttention {
    private DecodeAttention() {}

    /** (Row, head) pairs a part gets at least. */
    private static final int MIN_PAIRS_PER_PART = 16;

    /** Whether {@link #attend} can take these inputs: the kernel is there, CPU, float32, no gradient. */
    static boolean applies(Tensor q, Tensor k) {
        return CpuKernels.takes(q, k);
    }

    /**
     * q [B, H, 1, D], k and v [B, Hkv, L, D] (any strides; H a multiple of Hkv: query head h reads
     * key/value head h / (H / Hkv), HF's repeat_kv), mask [B, 1, 1, L] true for visible keys, at least
     * one per row. Returns [B, 1, H·D] as LibTorch's SDPA followed by transpose + reshape.
     */
    static Tensor attend(Tensor q, Tensor k, Tensor v, Tensor mask, double scale) {
        int b = (int) q.size(0), h = (int) q.size(1), d = (int) q.size(3), kvHeads = (int) k.size(1), keys = (int) k.size(2);
        Tensor qc = q.contiguous();
        Tensor kc = k.stride(3) == 1 ? k : k.contiguous(), vc = v.stride(3) == 1 ? v : v.contiguous();
        Tensor visible = mask.reshape(b, keys).to(torch.ScalarType.Bool).contiguous();
        Tensor out = torch.empty(new long[] {b, 1, (long) h * d}, Torch.options(torch.ScalarType.Float, q.device()), null);
        long qAt = qc.data_ptr().address(), kAt = kc.data_ptr().address(), vAt = vc.data_ptr().address();
        long mAt = visible.data_ptr().address(), oAt = out.data_ptr().address();
        long kRow = kc.stride(0), kHead = kc.stride(1), kKey = kc.stride(2);
        long vRow = vc.stride(0), vHead = vc.stride(1), vKey = vc.stride(2);
        float s = (float) scale;
        long pairs = (long) b * h;
        CpuKernels.split("decode attention", pairs, pairs, MIN_PAIRS_PER_PART, (from, to) -> CpuKernels.decodeAttention(qAt, kAt,
                vAt, mAt, oAt, h, kvHeads, keys, d, kRow, kHead, kKey, vRow, vHead, vKey, s, from, to));
        return out;
    }

    /** The same attention in LibTorch ops (broadcast multiply + sum, masked softmax), on any device. */
    static Tensor reference(Tensor q, Tensor k, Tensor v, Tensor mask, double scale) {
        long b = q.size(0), h = q.size(1), d = q.size(3), kvHeads = k.size(1), g = h / kvHeads, keys = k.size(2);
        Tensor qs = q.view(b, kvHeads, g, 1, d);
        Tensor scores = qs.mul(k.unsqueeze(2)).sum(new long[] {4}, false, null).mul_(new Scalar(scale)); // [B, Hkv, g, L]
        scores.masked_fill_(mask.view(b, 1, 1, keys).logical_not(), new Scalar(Double.NEGATIVE_INFINITY));
        Tensor probs = scores.softmax(3);
        return probs.unsqueeze(4).mul(v.unsqueeze(2)).sum(new long[] {3}, false, null).reshape(b, 1, h * d);
    }
}
