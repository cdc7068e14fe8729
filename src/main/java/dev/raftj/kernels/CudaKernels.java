package dev.raftj.kernels;

import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.DeviceOptional;
import org.bytedeco.pytorch.MemoryFormatOptional;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * {@link Kernels} over raftj's hand-written CUDA kernels ({@code src/main/native}), called through
 * {@link NativeKernels} with the raw device addresses of LibTorch CUDA tensors.
 *
 * <p>Launches go to the legacy default CUDA stream (address 0) unless a stream address is given,
 * so they are ordered with LibTorch's work on its default stream. Outputs are new tensors on the
 * inputs' device. A non-zero kernel status becomes a {@link NativeKernels.KernelException}.
 */
public final class CudaKernels implements Kernels {

    private final long stream;

    /** Uses the legacy default stream. */
    public CudaKernels() {
        this(0L);
    }

    /** Uses the given {@code cudaStream_t} (its address). */
    public CudaKernels(long stream) {
        if (!NativeKernels.loaded()) {
            throw new IllegalStateException("raftj CUDA kernels are not available: " + unavailableReason());
        }
        this.stream = stream;
    }

    /**
     * True when the native library loaded and at least one CUDA device is visible. Never throws:
     * a missing library, a missing driver or any other failure reads as false.
     */
    public static boolean available() {
        try {
            return NativeKernels.loaded() && NativeKernels.deviceCount() > 0;
        } catch (Throwable t) {
            return false;
        }
    }

    /** A one-line reason why {@link #available()} is false (for the log), or "available". */
    public static String unavailableReason() {
        try {
            if (!NativeKernels.loaded()) {
                Throwable e = NativeKernels.loadError();
                return "native library not loaded (" + (e == null ? "unknown" : e.getClass().getSimpleName() + ": "
                        + e.getMessage()) + ")";
            }
            return NativeKernels.deviceCount() > 0 ? "available" : "no CUDA device or driver";
        } catch (Throwable t) {
            return t.toString();
        }
    }

    @Override
    public String name() {
        return "cuda";
    }

    @Override
    public Sampled sample(Tensor logits, SamplingRows rows, long seed, long offset) {
        requireCuda(logits, "logits");
        require(logits.dim() == 2, "logits must be [B, V], got " + logits.dim() + " dimensions");
        int dtype = dtypeOf(logits, "logits");
        // Rows may be strided (e.g. the last position of [B, T, V]) or broadcast (stride 0).
        boolean rowsOk = logits.stride(1) == 1 && (logits.stride(0) == 0 || logits.stride(0) >= logits.size(1));
        Tensor x = rowsOk ? logits : logits.contiguous();
        long b = x.size(0);
        long v = x.size(1);
        Device dev = x.device();
        Tensor temperature = row(rows == null ? null : rows.temperature(), ScalarType.Float, b, dev, "temperature");
        Tensor topK = row(rows == null ? null : rows.topK(), ScalarType.Long, b, dev, "topK");
        Tensor topP = row(rows == null ? null : rows.topP(), ScalarType.Float, b, dev, "topP");
        Tensor minP = row(rows == null ? null : rows.minP(), ScalarType.Float, b, dev, "minP");
        Tensor tokens = empty(new long[] {b}, ScalarType.Long, dev);
        Tensor logprobs = empty(new long[] {b}, ScalarType.Float, dev);
        useDevice(dev);
        // Few rows: several blocks per row meet in a workspace (from LibTorch's caching allocator).
        int splits = NativeKernels.sampleSplits(b, v);
        long wsBytes = NativeKernels.sampleWorkspaceBytes(b, v, splits);
        Tensor ws = wsBytes > 0 ? empty(new long[] {wsBytes}, ScalarType.Byte, dev) : null;
        NativeKernels.check(NativeKernels.sample(addr(x), dtype, b, v, x.stride(0), addr(temperature), addr(topK),
                addr(topP), addr(minP), seed, offset, addr(tokens), addr(logprobs), splits, addr(ws),
                Math.max(0, wsBytes), stream), "raftj_sample");
        return new Sampled(tokens, logprobs);
    }

    @Override
    public TopK segmentedTopK(Tensor rewards, int m, Tensor logp, Tensor logpRef, float beta) {
        requireCuda(rewards, "rewards");
        require(rewards.dim() == 2, "rewards must be [P, K], got " + rewards.dim() + " dimensions");
        long p = rewards.size(0);
        long k = rewards.size(1);
        require(k >= 1 && k <= 1024, "segmentedTopK supports 1 <= K <= 1024, got K=" + k);
        require(m >= 1 && m <= k, "m must be in [1, K=" + k + "], got " + m);
        require((logp == null) == (logpRef == null), "logp and logpRef must both be given or both be null");
        Device dev = rewards.device();
        Tensor r = f32(rewards, dev, p * k, "rewards");
        Tensor lp = logp == null ? null : f32(logp, dev, p * k, "logp");
        Tensor lr = logpRef == null ? null : f32(logpRef, dev, p * k, "logpRef");
        Tensor values = empty(new long[] {p, m}, ScalarType.Float, dev);
        Tensor indices = empty(new long[] {p, m}, ScalarType.Long, dev);
        useDevice(dev);
        NativeKernels.check(NativeKernels.segmentedTopK(addr(r), addr(lp), addr(lr), beta, p, k, m, addr(values),
                addr(indices), stream), "raftj_segmented_topk");
        return new TopK(values, indices);
    }

    @Override
    public TopK globalTopK(Tensor rewards, int k, Tensor logp, Tensor logpRef, float beta) {
        requireCuda(rewards, "rewards");
        long n = rewards.numel();
        require(k >= 1 && k <= n, "k must be in [1, N=" + n + "], got " + k);
        require((logp == null) == (logpRef == null), "logp and logpRef must both be given or both be null");
        Device dev = rewards.device();
        Tensor r = f32(rewards, dev, n, "rewards");
        Tensor lp = logp == null ? null : f32(logp, dev, n, "logp");
        Tensor lr = logpRef == null ? null : f32(logpRef, dev, n, "logpRef");
        long wsBytes = NativeKernels.globalTopKWorkspaceBytes(n, k);
        require(wsBytes > 0, "globalTopK: unsupported sizes N=" + n + ", k=" + k);
        Tensor ws = empty(new long[] {wsBytes}, ScalarType.Byte, dev);
        Tensor values = empty(new long[] {k}, ScalarType.Float, dev);
        Tensor indices = empty(new long[] {k}, ScalarType.Long, dev);
        useDevice(dev);
        NativeKernels.check(NativeKernels.globalTopK(addr(r), addr(lp), addr(lr), beta, n, k, addr(values),
                addr(indices), addr(ws), wsBytes, stream), "raftj_global_topk");
        return new TopK(values, indices);
    }

    @Override
    public Tensor rewardHead(Tensor hidden, Tensor lastIndex, Tensor weight, float bias) {
        requireCuda(hidden, "hidden");
        require(hidden.dim() == 3, "hidden must be [B, T, H], got " + hidden.dim() + " dimensions");
        int dtype = dtypeOf(hidden, "hidden");
        Tensor h = hidden.stride(2) == 1 ? hidden : hidden.contiguous();
        long b = h.size(0);
        long t = h.size(1);
        long hd = h.size(2);
        Device dev = h.device();
        Tensor last = row(lastIndex, ScalarType.Long, b, dev, "lastIndex");
        require(weight != null && weight.numel() == hd, "weight must have H=" + hd + " elements");
        Tensor w = weight.to(dev, h.scalar_type()).contiguous();
        Tensor out = empty(new long[] {b}, ScalarType.Float, dev);
        useDevice(dev);
        NativeKernels.check(NativeKernels.rewardHead(addr(h), dtype, b, t, hd, h.stride(0), h.stride(1), addr(last),
                addr(w), bias, addr(out), stream), "raftj_reward_head");
        return out;
    }

    // ---- helpers ----

    private static void require(boolean ok, String message) {
        if (!ok) {
            throw new IllegalArgumentException(message);
        }
    }

    private static void requireCuda(Tensor t, String what) {
        require(t != null && t.defined(), what + " is missing");
        require(t.is_cuda(), what + " must be a CUDA tensor for the cuda kernels (use TorchKernels otherwise)");
    }

    private static int dtypeOf(Tensor t, String what) {
        ScalarType s = t.scalar_type();
        if (s == ScalarType.Float) {
            return NativeKernels.F32;
        }
        if (s == ScalarType.BFloat16) {
            return NativeKernels.BF16;
        }
        throw new IllegalArgumentException(what + " must be float32 or bfloat16, got " + s);
    }

    /** A per-row parameter as a contiguous tensor of {@code type} on {@code dev}; null stays null. */
    private static Tensor row(Tensor t, ScalarType type, long b, Device dev, String what) {
        if (t == null) {
            return null;
        }
        require(t.numel() == b, what + " must have B=" + b + " elements, got " + t.numel());
        return t.to(dev, type).contiguous();
    }

    private static Tensor f32(Tensor t, Device dev, long numel, String what) {
        require(t.numel() == numel, what + " must have " + numel + " elements, got " + t.numel());
        return t.to(dev, ScalarType.Float).contiguous();
    }

    private static Tensor empty(long[] shape, ScalarType type, Device dev) {
        return torch.empty(shape, new TensorOptions(type).device(new DeviceOptional(dev)), new MemoryFormatOptional());
    }

    private static long addr(Tensor t) {
        return t == null ? 0L : t.data_ptr().address();
    }

    private static void useDevice(Device dev) {
        int index = dev.has_index() ? dev.index() : 0;
        NativeKernels.check(NativeKernels.setDevice(index), "raftj_set_device(" + index + ")");
    }
}
