package dev.raftj.model;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.raftj.Reference;
import dev.raftj.align.TokenBatch;
import dev.raftj.torch.Torch;
import dev.raftj.train.SftLoss;
import dev.raftj.train.SftStep;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.Supplier;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.Test;

/**
 * The tied embedding's sparse lookup gradient (no dense [V, d] temporary) gives the weight the
 * same dense gradient as the dense lookup, whether or not the loss passes through the head.
 */
class TiedEmbeddingGradientTest {
    private static final Random RND = new Random(11);
    private static final List<int[]> PROMPTS = new ArrayList<>(), RESPONSES = new ArrayList<>();

    static {
        for (int i = 0; i < 5; i++) {
            // small id range: many repeated tokens, so several rows land on the same embedding row
            PROMPTS.add(RND.ints(2 + RND.nextInt(6), 2, 40).toArray());
            RESPONSES.add(RND.ints(2 + RND.nextInt(9), 2, 40).toArray());
        }
    }

    @Test
    void throughTheHeadTheGradientIsDenseAndEqualsTheDenseLookups() {
        CausalLM lm = CausalLM.load(Reference.model("gpt2-tiny"));
        TokenBatch b = TokenBatch.of(PROMPTS, RESPONSES, 1, lm.device());
        Supplier<Tensor> loss = () -> SftLoss.maskedCrossEntropy(lm, b.ids(), b.mask(), b.labels());
        float[] sparse = embeddingGradient(lm, true, loss);
        float[] dense = embeddingGradient(lm, false, loss);
        assertClose(dense, sparse);
    }

    @Test
    void withoutTheHeadTheStepStillGetsADenseGradient() {
        // the same AdamW step on a loss that never reaches the head, sparse lookup vs dense lookup
        CausalLM sparse = CausalLM.load(Reference.model("gpt2-tiny")), dense = CausalLM.load(Reference.model("gpt2-tiny"));
        dense.backbone().sparseTokenGradient(false);
        double[] norms = new double[2];
        int k = 0;
        for (CausalLM lm : new CausalLM[] {sparse, dense}) {
            TokenBatch b = TokenBatch.of(PROMPTS, RESPONSES, 1, lm.device());
            try (SftStep step = new SftStep(lm, 1e-2, 0.0, 0.0)) { // AdamW throws on a sparse gradient
                norms[k++] = step.step(() -> lm.hidden(b.ids(), Positions.fromMask(b.mask()), b.mask(), null)
                        .pow(new org.bytedeco.pytorch.Scalar(2.0)).mean()).gradNorm();
            } finally {
                lm.trainable(false);
            }
        }
        org.junit.jupiter.api.Assertions.assertEquals(norms[1], norms[0], 1e-6 * norms[1]);
        float[] base = Torch.toFloats(CausalLM.load(Reference.model("gpt2-tiny")).backbone().tokenEmbedding());
        float[] want = Torch.toFloats(dense.backbone().tokenEmbedding()), got = Torch.toFloats(sparse.backbone().tokenEmbedding());
        for (int j = 0; j < want.length; j++) {
            want[j] -= base[j];
            got[j] -= base[j];
        }
        assertClose(want, got); // the updates: nonzero on the looked-up rows only
    }

    private static float[] embeddingGradient(CausalLM lm, boolean sparse, Supplier<Tensor> loss) {
        lm.backbone().sparseTokenGradient(sparse);
        lm.trainable(true);
        try {
            loss.get().backward();
            Tensor wte = lm.backbone().tokenEmbedding();
            Tensor g = wte.grad();
            float[] out = Torch.toFloats(g.is_sparse() ? g.to_dense() : g);
            for (Tensor p : lm.parameters()) p.grad().zero_();
            return out;
        } finally {
            lm.trainable(false);
        }
    }

    private static void assertClose(float[] want, float[] got) {
        double nonzero = 0;
        for (int j = 0; j < want.length; j++) {
            if (want[j] != 0) nonzero++;
            assertTrue(Math.abs(want[j] - got[j]) <= 1e-7 + 1e-5 * Math.abs(want[j]),
                    "element " + j + ": " + got[j] + " vs " + want[j]);
        }
        assertTrue(nonzero >= 1000, "only " + nonzero + " nonzero gradient elements: the test would see little");
    }
}
