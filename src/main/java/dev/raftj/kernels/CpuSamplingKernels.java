package dev.raftj.kernels;

import dev.raftj.torch.Torch;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * The kernels for CPU tensors where raftj's CPU kernels loaded: sampling without top-k, top-p or
 * min-p runs {@code src/main/native/cpu/sample.cpp} (one pass for the log-sum-exp, one for the
 * weights, one walk to the draw; rows split over LibTorch's thread count), with the same uniforms
 * as {@link TorchKernels} (seed, offset). Everything else, filtered rows included, is
 * {@link TorchKernels}'.
 */
final class CpuSamplingKernels implements Kernels {
    /** Logits a part samples at least. */
    private static final long MIN_LOGITS_PER_PART = 1 << 16;

    private final TorchKernels reference;
    private volatile SamplingRows plainRows; // the last rows object known to have no filtering

    CpuSamplingKernels(TorchKernels reference) {
        this.reference = reference;
    }

    @Override
    public String name() {
        return "cpu";
    }

    @Override
    public Sampled sample(Tensor logits, SamplingRows rows, long seed, long offset) {
        if (!CpuKernels.takes(logits) || logits.dim() != 2 || !plain(rows)) {
            return reference.sample(logits, rows, seed, offset);
        }
        // rows of V adjacent logits, rows apart by at least V (an expanded view is made contiguous)
        Tensor x = logits.stride(1) == 1 && logits.stride(0) >= logits.size(1) ? logits : logits.contiguous();
        long b = x.size(0), v = x.size(1), stride = x.stride(0);
        Tensor temperature = rows.temperature().to(ScalarType.Float).contiguous();
        Tensor uniform = TorchKernels.uniform(b, seed, offset).contiguous();
        Tensor tokens = torch.empty(new long[] {b}, Torch.options(ScalarType.Long, x.device()), null);
        Tensor logprobs = torch.empty(new long[] {b}, Torch.options(ScalarType.Float, x.device()), null);
        long xAt = x.data_ptr().address(), tAt = temperature.data_ptr().address(), uAt = uniform.data_ptr().address();
        long kAt = tokens.data_ptr().address(), lAt = logprobs.data_ptr().address();
        CpuKernels.split("sample", b, b * v, MIN_LOGITS_PER_PART, (from, to) -> CpuKernels.sample(xAt, stride, v, tAt, uAt, kAt, lAt,
                from, to));
        return new Sampled(tokens, logprobs);
    }

    /** No row uses top-k, top-p or min-p (checked once per rows object). */
    private boolean plain(SamplingRows rows) {
        if (plainRows == rows) return true;
        if (TorchKernels.filtering(rows)) return false;
        plainRows = rows;
        return true;
    }

    @Override
    public TopK segmentedTopK(Tensor rewards, int m, Tensor logp, Tensor logpRef, float beta) {
        return reference.segmentedTopK(rewards, m, logp, logpRef, beta);
    }

    @Override
    public TopK globalTopK(Tensor rewards, int k, Tensor logp, Tensor logpRef, float beta) {
        return reference.globalTopK(rewards, k, logp, logpRef, beta);
    }

    @Override
    public Tensor rewardHead(Tensor hidden, Tensor lastIndex, Tensor weight, float bias) {
        return reference.rewardHead(hidden, lastIndex, weight, bias);
    }
}
