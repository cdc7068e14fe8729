package dev.raftj.train;

import dev.raftj.torch.Torch;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.ScalarOptional;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * The losses of PPO and GRPO on LibTorch tensors, so that they carry gradients. Every tensor is
 * [B, R]: one row per sample, one column per response token, {@code mask} 1 on a row's tokens and 0
 * on its padding. Formulas as TRL and OpenRLHF write them; the statistics (clip fraction,
 * approximate KL, entropy) are plain numbers taken without gradient.
 */
public final class PolicyLosses {
    private PolicyLosses() {}

    /** How per-token losses become one number. */
    public enum Aggregation {
        /** Sum over every token of the batch / number of tokens (TRL's dapo and bnpo, OpenRLHF's token_level_loss). */
        TOKEN,
        /** Mean over a sequence's tokens, then mean over sequences (the GRPO paper, TRL's grpo). */
        SEQUENCE
    }

    /**
     * The clipped surrogate per token: −min(ρ·A, clip(ρ, 1 − ε_low, 1 + ε_high)·A), ρ = exp(log π −
     * log π_old). ε_low = ε_high = 0.2 is PPO's; GRPO/DAPO may raise ε_high.
     */
    public static Tensor clippedPolicyLoss(Tensor logp, Tensor oldLogp, Tensor advantages, double epsLow, double epsHigh) {
        Tensor ratio = logp.sub(oldLogp).exp();
        Tensor surr1 = ratio.mul(advantages);
        Tensor surr2 = ratio.clamp(new ScalarOptional(new Scalar(1 - epsLow)), new ScalarOptional(new Scalar(1 + epsHigh)))
                .mul(advantages);
        return torch.min(surr1, surr2).neg();
    }

    /**
     * The per-token KL estimate of log π against log π_ref (see {@link Advantages.KlEstimator}),
     * clamped to ±10 as OpenRLHF does; differentiable in both.
     */
    public static Tensor kl(Advantages.KlEstimator estimator, Tensor logp, Tensor logpRef) {
        Tensor d = logp.sub(logpRef);
        Tensor k = switch (estimator) {
            case K1 -> d;
            case K2 -> d.mul(d).div(new Scalar(2.0));
            case K3 -> d.neg().exp().sub(new Scalar(1.0)).add(d);
        };
        return k.clamp(new ScalarOptional(new Scalar(-Advantages.KL_CLAMP)), new ScalarOptional(new Scalar(Advantages.KL_CLAMP)));
    }

    /**
     * PPO's clipped value loss: 0.5 · aggregate(max((V − R)², (V_clip − R)²)), V_clip = V_old +
     * clip(V − V_old, ±clip) (TRL and OpenRLHF); {@code clip} null means the plain 0.5·(V − R)².
     */
    public static Tensor valueLoss(Tensor values, Tensor oldValues, Tensor returns, Tensor mask, Double clip,
                                   Aggregation aggregation) {
        Tensor plain = values.sub(returns).square();
        Tensor perToken = plain;
        if (clip != null) {
            Tensor clipped = oldValues.add(values.sub(oldValues)
                    .clamp(new ScalarOptional(new Scalar(-clip)), new ScalarOptional(new Scalar(clip))));
            perToken = torch.max(plain, clipped.sub(returns).square());
        }
        return aggregate(perToken, mask, aggregation).mul(new Scalar(0.5));
    }

    /** One number from per-token values, over the mask (see {@link Aggregation}); 0 tokens count as 1. */
    public static Tensor aggregate(Tensor perToken, Tensor mask, Aggregation aggregation) {
        Tensor masked = perToken.mul(mask);
        if (aggregation == Aggregation.TOKEN) {
            return masked.sum().div(mask.sum().clamp_min(new Scalar(1.0)));
        }
        Tensor perRow = masked.sum(new long[] {1}, false, null).div(mask.sum(new long[] {1}, false, null).clamp_min(new Scalar(1.0)));
        return perRow.mean();
    }

    /** Mean over the mask's tokens (the statistics' average); 0 when the mask is empty. */
    public static double maskedMean(Tensor x, Tensor mask) {
        double n = Torch.item(mask.sum());
        return n == 0 ? 0 : Torch.item(x.detach().mul(mask).sum()) / n;
    }

    /**
     * Share of tokens where the clip was binding: clip(ρ)·A &lt; ρ·A (OpenRLHF's clip_ratio, TRL's
     * pg_clipfrac), over the mask.
     */
    public static double clipFraction(Tensor logp, Tensor oldLogp, Tensor advantages, Tensor mask, double epsLow,
                                      double epsHigh) {
        Tensor ratio = logp.detach().sub(oldLogp).exp();
        Tensor surr1 = ratio.mul(advantages);
        Tensor surr2 = ratio.clamp(new ScalarOptional(new Scalar(1 - epsLow)), new ScalarOptional(new Scalar(1 + epsHigh)))
                .mul(advantages);
        return maskedMean(surr2.lt(surr1).to(torch.ScalarType.Float), mask);
    }

    /** TRL's approxkl between the current and the sampling policy: 0.5 · mean((log π − log π_old)²) over the mask. */
    public static double approxKl(Tensor logp, Tensor oldLogp, Tensor mask) {
        Tensor d = logp.detach().sub(oldLogp);
        return 0.5 * maskedMean(d.mul(d), mask);
    }

    /** Share of tokens where the value clip was binding: (V_clip − R)² &gt; (V − R)². */
    public static double valueClipFraction(Tensor values, Tensor oldValues, Tensor returns, Tensor mask, double clip) {
        Tensor v = values.detach();
        Tensor clipped = oldValues.add(v.sub(oldValues).clamp(new ScalarOptional(new Scalar(-clip)),
                new ScalarOptional(new Scalar(clip))));
        return maskedMean(clipped.sub(returns).square().gt(v.sub(returns).square()).to(torch.ScalarType.Float), mask);
    }

    /** Entropy of the softmax of logits [..., V] over its last dimension: logsumexp(z) − Σ softmax(z)·z. */
    public static Tensor entropy(Tensor logits) {
        long last = logits.dim() - 1;
        Tensor p = torch.softmax(logits, last);
        return torch.logsumexp(logits, new long[] {last}, false).sub(p.mul(logits).sum(new long[] {last}, false, null));
    }
}
