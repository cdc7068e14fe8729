package dev.raftj.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.raftj.Reference;
import dev.raftj.align.TokenBatch;
import dev.raftj.model.CausalLM;
import dev.raftj.torch.Torch;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The head-on-response-positions loss equals the full-logits loss, value and gradients. */
class SftLossTest {

    @ParameterizedTest
    @ValueSource(strings = {"gpt2-tiny", "llama-tiny"})
    void responseOnlyHeadMatchesFullLogits(String name) {
        CausalLM lm = CausalLM.load(Reference.model(name));
        TokenBatch b = SftLossTest.randomBatch(lm, 6);
        lm.trainable(true);
        try {
            Tensor full = SftLoss.maskedCrossEntropy(lm.logits(b.ids(), b.mask()), b.labels());
            full.backward();
            List<float[]> fullGrads = new ArrayList<>();
            for (Tensor p : lm.parameters()) {
                fullGrads.add(Torch.toFloats(p.grad()));
                p.grad().zero_();
            }
            Tensor fast = SftLoss.maskedCrossEntropy(lm, b.ids(), b.mask(), b.labels());
            fast.backward();
            assertEquals(Torch.item(full), Torch.item(fast), 1e-5);
            int i = 0;
            for (Tensor p : lm.parameters()) {
                float[] want = fullGrads.get(i++), got = Torch.toFloats(p.grad());
                for (int j = 0; j < want.length; j++) {
                    assertTrue(Math.abs(want[j] - got[j]) <= 1e-5 + 1e-4 * Math.abs(want[j]),
                            name + " parameter " + (i - 1) + " element " + j + ": " + got[j] + " vs " + want[j]);
                }
            }
        } finally {
            lm.trainable(false);
        }
    }

    /** Six rows of 1–8 random prompt tokens and 1–12 response tokens (ids 2…511), right-padded. */
    static TokenBatch randomBatch(CausalLM lm, long seed) {
        Random rnd = new Random(seed);
        List<int[]> prompts = new ArrayList<>(), responses = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            prompts.add(rnd.ints(1 + rnd.nextInt(8), 2, 512).toArray());
            responses.add(rnd.ints(1 + rnd.nextInt(12), 2, 512).toArray());
        }
        return TokenBatch.of(prompts, responses, 1, lm.device());
    }
}
