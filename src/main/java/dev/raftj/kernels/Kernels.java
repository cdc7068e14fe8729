package dev.raftj.kernels;

import org.bytedeco.pytorch.Tensor;

/**
 * The hot per-stage GPU operations of a RAFT stage: sampling, selection, reward head.
 *
 * <p>Three implementations sit behind this interface: {@link TorchKernels} (LibTorch ops, any
 * device, always available: the reference), {@code CudaKernels} (hand-written CUDA kernels
 * over raw device pointers, chosen when the native library loads and the tensors are on a GPU) and
 * {@link CpuSamplingKernels} (CPU tensors where raftj's CPU kernels loaded: plain sampling native,
 * the rest the reference's).
 * All tensors stay on the caller's device; nothing here copies to the host unless the input is there.
 */
public interface Kernels {

    /** A short name for logs, e.g. "torch" or "cuda". */
    String name();

    /**
     * Draws one token per row of {@code logits} [B, V] (float32 or bfloat16).
     *
     * <p>Per-row parameters are 1-D tensors of length B on the logits' device:
     * temperature (float32; 0 means greedy), topK (int64; 0 or V means off), topP (float32; 1 means
     * off), minP (float32; 0 means off). The filtered distribution is: scale by 1/temperature, keep
     * the topK largest, then the smallest prefix (by descending probability) whose mass reaches
     * topP, then drop tokens below minP times the largest probability, renormalise.
     *
     * @param seed   RNG seed; with {@code offset} it makes a draw reproducible (counter-based RNG)
     * @param offset RNG stream offset, e.g. the decode step index
     * @return token ids [B] int64 and their log-probabilities [B] float32 under the
     *     <em>unfiltered, temperature-1</em> distribution log_softmax(logits), which is what the
     *     policy assigns the token (used for KL and for the caller's records)
     */
    Sampled sample(Tensor logits, SamplingRows rows, long seed, long offset);

    /**
     * Per-prompt (segmented) top-m over a reward matrix [P, K] float32, for local ranking.
     * With {@code logp} and {@code logpRef} (both [P, K] float32, or null) the ranking key is
     * r - beta * (logp - logpRef) (KL-adjusted ranking); the returned values are that key.
     * Ties go to the lower index. Returns values [P, m] and indices [P, m] (int64, within the row).
     */
    TopK segmentedTopK(Tensor rewards, int m, Tensor logp, Tensor logpRef, float beta);

    /**
     * Global top-k over N rewards [N] float32, for global ranking, with the same optional KL
     * adjustment. Ties go to the lower index. Returns values [k] and indices [k] (int64),
     * in descending order of the key.
     */
    TopK globalTopK(Tensor rewards, int k, Tensor logp, Tensor logpRef, float beta);

    /**
     * Reward head: for each sequence b, take hidden[b, lastIndex[b], :] ([B, T, H], float32 or
     * bfloat16) and return dot(that, weight) + bias as [B] float32. lastIndex is [B] int64
     * (the last non-pad token), weight is [H] (same dtype as hidden), bias is a float.
     */
    Tensor rewardHead(Tensor hidden, Tensor lastIndex, Tensor weight, float bias);

    /** Per-row sampling parameters, each a 1-D tensor of length B on the logits' device. */
    record SamplingRows(Tensor temperature, Tensor topK, Tensor topP, Tensor minP) {}

    /** Sampled token ids [B] int64 and their log-probabilities [B] float32. */
    record Sampled(Tensor tokens, Tensor logprobs) {}

    /** Top-k values (float32) and indices (int64). */
    record TopK(Tensor values, Tensor indices) {
        /** Drops a leading dimension of size 1. */
        public TopK squeeze0() {
            return new TopK(values.squeeze(0), indices.squeeze(0));
        }
    }

    /**
     * The kernels for tensors on {@code device}: the CUDA ones when that device is a GPU and the
     * native library loaded, else the LibTorch reference. The choice is logged once per kind.
     */
    static Kernels forDevice(org.bytedeco.pytorch.Device device) {
        return KernelChoice.forDevice(device);
    }
}
