package dev.raftj.kernels;

import dev.raftj.torch.Torch;
import org.bytedeco.pytorch.BoolOptional;
import org.bytedeco.pytorch.Generator;
import org.bytedeco.pytorch.GeneratorOptional;
import org.bytedeco.pytorch.LongOptional;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.T_TensorTensor_T;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * The reference implementation of {@link Kernels}: plain LibTorch ops, on any device. Sampling is
 * the classic softmax → sort → cumsum chain with inverse-CDF draws from a seeded generator.
 */
public final class TorchKernels implements Kernels {

    @Override
    public String name() {
        return "torch";
    }

    /** Host-side facts about one SamplingRows object, read once (4 small device reads) and reused per step. */
    private record RowFlags(SamplingRows rows, boolean filtering, boolean anyGreedy, boolean unitTemperature) {}

    private volatile RowFlags flags;

    private RowFlags flags(SamplingRows rows) {
        RowFlags f = flags;
        if (f == null || f.rows() != rows) {
            Tensor t = rows.temperature();
            f = new RowFlags(rows, filtering(rows), t.le(new Scalar(0.0)).sum().item_long() > 0,
                    t.ne(new Scalar(1.0)).sum().item_long() == 0);
            flags = f;
        }
        return f;
    }

    @Override
    public Sampled sample(Tensor logits, SamplingRows rows, long seed, long offset) {
        Tensor raw = logits.to(ScalarType.Float);
        long b = raw.size(0), v = raw.size(1);
        RowFlags f = flags(rows);
        // log p(token) = logit − logsumexp(logits): one reduction instead of a [B, V] log_softmax.
        Tensor lse = raw.logsumexp(new long[] {1}, true);
        Tensor temperature = rows.temperature().to(ScalarType.Float).unsqueeze(1);
        Tensor greedy = temperature.le(new Scalar(0.0)).squeeze(1);
        // Dividing by 1 changes nothing, so all-temperature-1 batches skip the [B, V] division.
        Tensor scaled = f.unitTemperature() ? raw : raw.div(torch.clamp_min(temperature, new Scalar(1e-6)));
        Tensor greedyTok = f.anyGreedy() ? raw.argmax(new LongOptional(1), false) : null;
        if (!f.filtering()) {
            // No top-k/top-p/min-p on any row: inverse CDF in vocabulary order, no sort needed. The
            // CDF never decreases, so the number of entries ≤ u is a binary search.
            Tensor cdf = torch.softmax(scaled, 1).cumsum(1);
            Tensor u = uniform(b, seed, offset).to(raw.device(), ScalarType.Float).unsqueeze(1)
                    .mul(cdf.narrow(1, v - 1, 1));
            Tensor drawn = clampIndex(torch.searchsorted(cdf, u, false, true, new org.bytedeco.pytorch.StringViewOptional(), new org.bytedeco.pytorch.TensorOptional()).squeeze(1), v);
            return finish(raw, lse, greedyTok == null ? drawn : torch.where(greedy, greedyTok, drawn));
        }
        // Stable descending sort: among equal logits the lower index comes first.
        T_TensorTensor_T sorted = torch.sort(scaled, new BoolOptional(true), 1, true);
        Tensor sortedLogits = sorted.get0(), sortedIdx = sorted.get1();
        Tensor probs = torch.softmax(sortedLogits, 1);
        Tensor rank = torch.arange(new Scalar(0), new Scalar(v), Torch.options(ScalarType.Long, raw.device()))
                .unsqueeze(0);
        Tensor topK = rows.topK().to(ScalarType.Long).unsqueeze(1);
        Tensor keep = topK.le(new Scalar(0)).logical_or(rank.lt(topK));
        // Top-p over the top-k survivors: keep the smallest prefix whose mass reaches p.
        Tensor kept = probs.mul(keep.to(ScalarType.Float));
        Tensor keptMass = kept.sum(new long[] {1}, true, null);
        Tensor before = kept.cumsum(1).sub(kept).div(keptMass);
        Tensor topP = rows.topP().to(ScalarType.Float).unsqueeze(1);
        keep = keep.logical_and(before.lt(topP).logical_or(rank.eq(new Scalar(0))));
        // Min-p: drop tokens below minP × the largest probability.
        Tensor minP = rows.minP().to(ScalarType.Float).unsqueeze(1);
        Tensor pmax = probs.narrow(1, 0, 1);
        keep = keep.logical_and(probs.ge(minP.mul(pmax)));
        Tensor filtered = probs.mul(keep.to(ScalarType.Float));
        Tensor cdf = filtered.cumsum(1);
        Tensor total = cdf.narrow(1, v - 1, 1);
        Tensor u = uniform(b, seed, offset).to(raw.device(), ScalarType.Float).unsqueeze(1).mul(total);
        // First sorted position whose cumulative mass exceeds u (never a dropped one: mass 0 adds nothing).
        Tensor pos = clampIndex(cdf.le(u).sum(new long[] {1}, true, null), v);
        Tensor sampledTok = sortedIdx.gather(1, pos).squeeze(1);
        return finish(raw, lse, greedyTok == null ? sampledTok : torch.where(greedy, greedyTok, sampledTok));
    }

    /** True when some row uses top-k, top-p or min-p (one small host read per call). */
    static boolean filtering(SamplingRows rows) {
        return rows.topK().gt(new Scalar(0)).sum().item_long() > 0
                || rows.topP().lt(new Scalar(1.0)).sum().item_long() > 0
                || rows.minP().gt(new Scalar(0.0)).sum().item_long() > 0;
    }

    /** First position whose cumulative mass exceeds u, clamped into the vocabulary. */
    private static Tensor clampIndex(Tensor count, long v) {
        return torch.clamp(count, new org.bytedeco.pytorch.ScalarOptional(new Scalar(0)),
                new org.bytedeco.pytorch.ScalarOptional(new Scalar(v - 1)));
    }

    private static Sampled finish(Tensor raw, Tensor lse, Tensor tokens) {
        return new Sampled(tokens, raw.gather(1, tokens.unsqueeze(1)).sub(lse).squeeze(1));
    }

    /** B uniforms in [0, 1) from a CPU generator keyed by (seed, offset): reproducible anywhere. */
    static Tensor uniform(long b, long seed, long offset) {
        Generator g = torch.createCPUGenerator(seed * 0x9E3779B97F4A7C15L + offset);
        try {
            return torch.rand(new long[] {b}, new GeneratorOptional(g), new TensorOptions(ScalarType.Double))
                    .to(ScalarType.Float);
        } finally {
            g.close();
        }
    }

    @Override
    public TopK segmentedTopK(Tensor rewards, int m, Tensor logp, Tensor logpRef, float beta) {
        Tensor key = klAdjusted(rewards, logp, logpRef, beta);
        return stableTopK(key, m);
    }

    @Override
    public TopK globalTopK(Tensor rewards, int k, Tensor logp, Tensor logpRef, float beta) {
        Tensor key = klAdjusted(rewards, logp, logpRef, beta);
        return stableTopK(key.view(1, -1), k).squeeze0();
    }

    /** Top-k along the last dim with ties to the lower index (a stable descending sort). */
    private static TopK stableTopK(Tensor key, int k) {
        T_TensorTensor_T s = torch.sort(key, new BoolOptional(true), 1, true);
        return new TopK(s.get0().narrow(1, 0, k), s.get1().narrow(1, 0, k));
    }

    private static Tensor klAdjusted(Tensor rewards, Tensor logp, Tensor logpRef, float beta) {
        Tensor r = rewards.to(ScalarType.Float);
        if (logp == null || logpRef == null || beta == 0f) return r;
        return r.sub(logp.to(ScalarType.Float).sub(logpRef.to(ScalarType.Float)).mul(new Scalar(beta)));
    }

    @Override
    public Tensor rewardHead(Tensor hidden, Tensor lastIndex, Tensor weight, float bias) {
        long b = hidden.size(0), h = hidden.size(2);
        Tensor idx = lastIndex.to(ScalarType.Long).view(b, 1, 1).expand(b, 1, h);
        Tensor last = hidden.gather(1, idx).squeeze(1).to(ScalarType.Float);
        return torch.matmul(last, weight.to(ScalarType.Float)).add(new Scalar(bias));
    }
}
