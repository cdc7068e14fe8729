package dev.raftj.train;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.bytedeco.pytorch.AdamW;
import org.bytedeco.pytorch.AdamWOptions;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.Test;

/**
 * Adam's first step is lr·sign(g) whatever the betas, so the one-step golden cannot see swapped
 * betas. Two steps can: with lr 1, eps 0, gradient 1 then 0, the second update is
 * −(β1·(1−β1)/(1−β1²)) / sqrt(β2·(1−β2)/(1−β2²)) = −0.670058 for (0.9, 0.999), −0.72612 if swapped.
 */
class AdamWBetasTest {

    @Test
    void secondUpdateUsesBeta1ForTheMeanAndBeta2ForTheVariance() {
        double b1 = 0.9, b2 = 0.999;
        Tensor w = torch.zeros(1).set_requires_grad(true);
        AdamWOptions options = new AdamWOptions(1.0);
        options.betas().put(0, b2).put(1, b1); // the layout SftStep relies on
        options.eps().put(0.0);
        options.weight_decay().put(0.0);
        AdamW opt = new AdamW(new TensorVector(w), options);
        w.mul(new Scalar(1.0)).sum().backward();      // gradient 1
        opt.step();
        double afterFirst = w.item_double();
        opt.zero_grad();
        w.mul(new Scalar(0.0)).sum().backward();      // gradient 0
        opt.step();
        double second = w.item_double() - afterFirst;
        double mHat = b1 * (1 - b1) / (1 - b1 * b1);
        double vHat = b2 * (1 - b2) / (1 - b2 * b2);
        assertEquals(-1.0, afterFirst, 1e-6);
        assertEquals(-mHat / Math.sqrt(vHat), second, 1e-5);
        assertEquals(-0.670058, second, 1e-5);
    }
}
