package dev.raftj.train;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.raftj.Reference;
import dev.raftj.torch.Torch;
import dev.raftj.train.PolicyLosses.Aggregation;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.Test;

/** The PPO/GRPO losses on tensors: values and gradients worked out by hand. */
class PolicyLossesTest {
    private static final double L15 = Math.log(1.5), L05 = Math.log(0.5);

    static Tensor t(int rows, float... v) {
        return Torch.floats(v, rows, v.length / rows);
    }

    /** Ratios 1.5 and 0.5 in both rows; advantages +1 in row 0 and −1 in row 1. */
    static Tensor logp() {
        return t(2, (float) (-1 + L15), (float) (-1 + L05), (float) (-1 + L15), (float) (-1 + L05)).set_requires_grad(true);
    }

    static final Tensor OLD = t(2, -1, -1, -1, -1), ADV = t(2, 1, 1, -1, -1);

    @Test
    void clippedPolicyLossPerToken() {
        Tensor loss = PolicyLosses.clippedPolicyLoss(logp(), OLD, ADV, 0.2, 0.2);
        // A>0: ρ 1.5 → clipped to 1.2; ρ 0.5 → 0.5 (min). A<0: ρ 1.5 → −1.5 (min); ρ 0.5 → clip 0.8
        Reference.assertClose("loss", new float[] {-1.2f, -0.5f, 1.5f, 0.8f}, Torch.toFloats(loss), 1e-6, 1e-6);
        Tensor dapo = PolicyLosses.clippedPolicyLoss(logp(), OLD, ADV, 0.2, 0.28);
        Reference.assertClose("ε_high 0.28", new float[] {-1.28f, -0.5f, 1.5f, 0.8f}, Torch.toFloats(dapo), 1e-6, 1e-6);
        Tensor mask = t(2, 1, 1, 1, 1);
        assertEquals(0.5, PolicyLosses.clipFraction(logp(), OLD, ADV, mask, 0.2, 0.2), 1e-7);
        assertEquals(0.5 * (L15 * L15 + L05 * L05) / 2, PolicyLosses.approxKl(logp(), OLD, mask), 1e-6);
    }

    @Test
    void tokenAndSequenceAggregationOverTheMask() {
        Tensor mask = t(2, 1, 1, 1, 0);
        Tensor perToken = PolicyLosses.clippedPolicyLoss(logp(), OLD, ADV, 0.2, 0.2);
        // token: (−1.2 − 0.5 + 1.5)/3; sequence: mean(−1.7/2, 1.5/1)
        assertEquals(-0.2 / 3, Torch.item(PolicyLosses.aggregate(perToken, mask, Aggregation.TOKEN)), 1e-6);
        assertEquals(0.325, Torch.item(PolicyLosses.aggregate(perToken, mask, Aggregation.SEQUENCE)), 1e-6);
        assertEquals(0.0, Torch.item(PolicyLosses.aggregate(perToken, t(2, 0, 0, 0, 0), Aggregation.TOKEN)), 0.0);
    }

    @Test
    void clippedTokensPassNoGradient() {
        Tensor lp = logp();
        Tensor loss = PolicyLosses.aggregate(PolicyLosses.clippedPolicyLoss(lp, OLD, ADV, 0.2, 0.2), t(2, 1, 1, 1, 1),
                Aggregation.TOKEN);
        loss.backward();
        // d(−ρA)/d log π = −ρA on unclipped tokens, over 4 tokens; 0 where the clip binds
        Reference.assertClose("grad", new float[] {0f, -0.125f, 0.375f, 0f}, Torch.toFloats(lp.grad()), 1e-6, 1e-6);
    }

    @Test
    void klEstimatorsOnTensorsWithGradient() {
        Tensor lp = t(1, -1f, -2f, -20f).set_requires_grad(true);
        Tensor ref = t(1, -1.5f, -1f, 0f);
        Reference.assertClose("k1", new float[] {0.5f, -1f, -10f},
                Torch.toFloats(PolicyLosses.kl(Advantages.KlEstimator.K1, lp, ref)), 1e-6, 1e-6);
        Reference.assertClose("k2", new float[] {0.125f, 0.5f, 10f},
                Torch.toFloats(PolicyLosses.kl(Advantages.KlEstimator.K2, lp, ref)), 1e-6, 1e-6);
        Tensor k3 = PolicyLosses.kl(Advantages.KlEstimator.K3, lp, ref);
        Reference.assertClose("k3", new float[] {0.10653066f, 0.71828183f, 10f}, Torch.toFloats(k3), 1e-6, 1e-6);
        k3.sum().backward();
        // d k3 / d log π = 1 − e^{−d}; the clamped token passes none
        Reference.assertClose("k3 grad", new float[] {(float) (1 - Math.exp(-0.5)), (float) (1 - Math.E), 0f},
                Torch.toFloats(lp.grad()), 1e-6, 1e-6);
    }

    @Test
    void clippedValueLoss() {
        Tensor v = t(1, 1.0f, 0.0f, 0.6f), old = t(1, 0.5f, 0.5f, 0.5f), ret = t(1, 2.0f, 0.0f, 2.0f);
        Tensor mask = t(1, 1, 1, 0);
        // token 0: max((1−2)², (0.7−2)²) = 1.69; token 1: max(0, (0.3−0)²) = 0.09; 0.5·mean
        assertEquals(0.445, Torch.item(PolicyLosses.valueLoss(v, old, ret, mask, 0.2, Aggregation.TOKEN)), 1e-6);
        assertEquals(0.25, Torch.item(PolicyLosses.valueLoss(v, old, ret, mask, null, Aggregation.TOKEN)), 1e-6);
        assertEquals(1.0, PolicyLosses.valueClipFraction(v, old, ret, mask, 0.2), 1e-7);
        // token 2 (0.6 is inside old ± 0.2): plain 1.96 either way
        assertEquals(0.5 * 1.96, Torch.item(PolicyLosses.valueLoss(v, old, ret, t(1, 0, 0, 1), 0.2, Aggregation.TOKEN)), 1e-6);
        assertEquals(0.0, PolicyLosses.valueClipFraction(v, old, ret, t(1, 0, 0, 1), 0.2), 0.0);
    }

    @Test
    void entropyOfSoftmax() {
        Tensor logits = t(2, 0f, 0f, 0f, (float) Math.log(3));
        // ln 2; −0.25 ln 0.25 − 0.75 ln 0.75
        Reference.assertClose("entropy", new float[] {(float) Math.log(2), 0.5623351f},
                Torch.toFloats(PolicyLosses.entropy(logits)), 1e-6, 1e-6);
    }
}
