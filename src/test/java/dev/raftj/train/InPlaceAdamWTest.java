package dev.raftj.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.raftj.torch.Torch;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.bytedeco.pytorch.AdamW;
import org.bytedeco.pytorch.AdamWOptions;
import org.bytedeco.pytorch.InputArchive;
import org.bytedeco.pytorch.OutputArchive;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** InPlaceAdamW takes the same steps as LibTorch's AdamW, and its state survives save/load. */
class InPlaceAdamWTest {
    private static final double LR = 1e-2, B1 = 0.9, B2 = 0.999, EPS = 1e-8, WD = 0.01;

    @Test
    void stepsMatchLibTorchAdamW() {
        torch.manual_seed(3);
        List<Tensor> ours = params(), theirs = copies(ours);
        InPlaceAdamW mine = new InPlaceAdamW(ours, LR, B1, B2, EPS, WD);
        AdamWOptions o = new AdamWOptions(LR);
        o.betas().put(0, B2).put(1, B1); // libstdc++'s tuple layout (AdamWBetasTest)
        o.eps().put(EPS);
        o.weight_decay().put(WD);
        AdamW libtorch = new AdamW(new TensorVector(theirs.toArray(new Tensor[0])), o);
        for (int step = 0; step < 4; step++) {
            boolean skipSecond = step == 1; // a parameter without a gradient this step: no update, no step count
            mine.zeroGrad();
            libtorch.zero_grad();
            for (int i = 0; i < ours.size(); i++) {
                if (skipSecond && i == 1) continue;
                Tensor g = torch.randn(Torch.shape(ours.get(i)));
                ours.get(i).mul(g).sum().backward();
                theirs.get(i).mul(g).sum().backward();
            }
            if (step == 2) mine.setLearningRate(LR / 2);
            if (step == 2) libtorch.param_groups().get(0).options().set_lr(LR / 2);
            mine.step();
            libtorch.step();
            for (int i = 0; i < ours.size(); i++) {
                assertSame("step " + step + " parameter " + i, Torch.toFloats(theirs.get(i)), Torch.toFloats(ours.get(i)));
            }
        }
        assertEquals(2L * (8 * 5 + 7 + 3 * 4) * 4, mine.stateBytes());
    }

    @Test
    void saveAndLoadContinueIdentically(@TempDir Path dir) throws java.io.IOException {
        torch.manual_seed(4);
        List<Tensor> a = params(), b = copies(a);
        InPlaceAdamW first = new InPlaceAdamW(a, LR, B1, B2, EPS, WD);
        List<Tensor> grads = new ArrayList<>();
        for (Tensor p : a) grads.add(torch.randn(Torch.shape(p)));
        for (int s = 0; s < 2; s++) step(first, a, grads);
        OutputArchive out = new OutputArchive();
        first.save(out);
        Path file = dir.resolve("optimizer.pt");
        out.save_to(file.toString());
        assertTrue(Files.size(file) > 0);
        // b: the same weights, fresh optimizer loaded from the file
        try (var noGrad = new org.bytedeco.pytorch.NoGradGuard()) {
            for (int i = 0; i < a.size(); i++) b.get(i).copy_(a.get(i));
        }
        InPlaceAdamW second = new InPlaceAdamW(b, LR, B1, B2, EPS, WD);
        InputArchive in = new InputArchive();
        in.load_from(file.toString());
        second.load(in);
        step(first, a, grads);
        step(second, b, grads);
        for (int i = 0; i < a.size(); i++) assertSame("parameter " + i, Torch.toFloats(a.get(i)), Torch.toFloats(b.get(i)));
        // a fresh optimizer would step differently (bias correction of step 1): the state was really loaded
        List<Tensor> c = copies(b), other = new ArrayList<>();
        for (Tensor p : a) other.add(torch.randn(Torch.shape(p)));
        InPlaceAdamW fresh = new InPlaceAdamW(c, LR, B1, B2, EPS, WD);
        step(fresh, c, other);
        step(second, b, other);
        assertFalse(java.util.Arrays.equals(Torch.toFloats(b.get(0)), Torch.toFloats(c.get(0))));
    }

    @Test
    void zeroGradFreesTheGradients() {
        List<Tensor> p = params();
        InPlaceAdamW opt = new InPlaceAdamW(p, LR, B1, B2, EPS, WD);
        p.get(0).sum().backward();
        assertTrue(p.get(0).grad().defined());
        opt.zeroGrad();
        assertFalse(p.get(0).grad().defined());
    }

    private static void step(InPlaceAdamW opt, List<Tensor> params, List<Tensor> grads) {
        opt.zeroGrad();
        for (int i = 0; i < params.size(); i++) params.get(i).mul(grads.get(i)).sum().backward();
        opt.step();
    }

    private static List<Tensor> params() {
        List<Tensor> p = new ArrayList<>();
        p.add(torch.randn(8, 5).set_requires_grad(true));
        p.add(torch.randn(7).set_requires_grad(true));
        p.add(torch.randn(3, 4).set_requires_grad(true));
        return p;
    }

    private static List<Tensor> copies(List<Tensor> ps) {
        List<Tensor> out = new ArrayList<>();
        for (Tensor p : ps) out.add(p.detach().clone().set_requires_grad(true));
        return out;
    }

    private static void assertSame(String what, float[] want, float[] got) {
        for (int j = 0; j < want.length; j++) {
            assertEquals(want[j], got[j], 0f, what + " element " + j);
        }
    }
}
