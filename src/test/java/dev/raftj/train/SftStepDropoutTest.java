package dev.raftj.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.raftj.OneTorchThread;
import dev.raftj.Reference;
import dev.raftj.generate.Generator;
import dev.raftj.generate.Sample;
import dev.raftj.generate.SamplingParams;
import dev.raftj.model.CausalLM;
import dev.raftj.torch.Torch;
import java.util.List;
import java.util.Map;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** SftStep trains with the checkpoint's dropout, seeded per step, and leaves the model in eval mode. */
@ExtendWith(OneTorchThread.class)
class SftStepDropoutTest {
    private static final List<int[]> PROMPTS = List.of(new int[] {5, 17, 42, 99}, new int[] {7, 3});

    /** lr 0 and no weight decay leave the weights as they were: only the mode could change generation. */
    @Test
    void generationAfterAStepMatchesEvalModeBeforeIt() {
        Map<String, Tensor> g = Reference.golden("gpt2-tiny");
        CausalLM model = CausalLM.load(Reference.model("gpt2-tiny"));
        try (SftStep step = new SftStep(model, 0.0, 0.0, 0)) {
            List<Sample> before = generate(model);
            SftStep.Result r = step.step(g.get("input_ids"), g.get("attention_mask"), g.get("sft_labels"));
            assertFalse(model.isTraining(), "the step restores eval mode");
            List<Sample> after = generate(model);
            for (int i = 0; i < before.size(); i++) {
                assertArrayEquals(before.get(i).tokens(), after.get(i).tokens(), "tokens of row " + i);
                assertArrayEquals(before.get(i).logprobs(), after.get(i).logprobs(), "logprobs of row " + i);
            }
            // The step itself ran with gpt2-tiny's dropout 0.1: its loss is not the eval-mode loss.
            double evalLoss = Torch.item(g.get("sft_loss_before"));
            assertNotEquals(evalLoss, r.loss(), 1e-3, "the step's forward must be in training mode");
        }
    }

    @Test
    void aFailingStepStillRestoresEvalMode() {
        Map<String, Tensor> g = Reference.golden("gpt2-tiny");
        CausalLM model = CausalLM.load(Reference.model("gpt2-tiny"));
        try (SftStep step = new SftStep(model, 1e-3, 0.0, 0)) {
            Tensor wrongLabels = g.get("sft_labels").narrow(1, 0, 5);
            assertThrows(RuntimeException.class, () -> step.step(g.get("input_ids"), g.get("attention_mask"), wrongLabels));
            assertFalse(model.isTraining());
        }
    }

    @Test
    void theSameStepSeedGivesTheSameLossWhateverRanBefore() {
        double[] a = explicitSeedStep(42, false), b = explicitSeedStep(42, true), c = explicitSeedStep(43, false);
        assertArrayEquals(a, b, "same seed, same loss and gradient norm, however the global generator was used before");
        assertNotEquals(a[0], c[0], "another seed draws other masks");
    }

    @Test
    void theThreeArgumentStepIsReproducibleFromTheRunSeed() {
        double[] a = runSeedStep(5, false), b = runSeedStep(5, true), c = runSeedStep(6, false);
        assertArrayEquals(a, b, "same run seed and batch, same loss, whatever ran before");
        assertNotEquals(a[0], c[0], "another run seed draws other masks");
        Map<String, Tensor> g = Reference.golden("gpt2-tiny");
        long s = SftStep.batchSeed(5, g.get("input_ids"), g.get("attention_mask"), g.get("sft_labels"));
        assertEquals(s, SftStep.batchSeed(5, g.get("input_ids"), g.get("attention_mask"), g.get("sft_labels")));
        assertNotEquals(s, SftStep.batchSeed(5, g.get("input_ids"), g.get("attention_mask"),
                g.get("sft_labels").roll(new long[] {1}, new long[] {1})), "another batch, another seed");
    }

    private static double[] explicitSeedStep(long seed, boolean disturb) {
        Map<String, Tensor> g = Reference.golden("gpt2-tiny");
        CausalLM model = CausalLM.load(Reference.model("gpt2-tiny"));
        try (SftStep step = new SftStep(model, 1e-3, 0.01, 0)) {
            if (disturb) torch.rand(1000);
            SftStep.Result r = step.step(g.get("input_ids"), g.get("attention_mask"), g.get("sft_labels"), seed);
            return new double[] {r.loss(), r.gradNorm()};
        }
    }

    private static double[] runSeedStep(long runSeed, boolean disturb) {
        Map<String, Tensor> g = Reference.golden("gpt2-tiny");
        CausalLM model = CausalLM.load(Reference.model("gpt2-tiny"));
        try (SftStep step = new SftStep(model, 1e-3, 0.01, 0)) {
            step.setDropoutSeed(runSeed);
            assertEquals(runSeed, step.dropoutSeed());
            if (disturb) torch.rand(1000);
            SftStep.Result r = step.step(g.get("input_ids"), g.get("attention_mask"), g.get("sft_labels"));
            assertTrue(Double.isFinite(r.loss()));
            return new double[] {r.loss(), r.gradNorm()};
        }
    }

    private static List<Sample> generate(CausalLM model) {
        return new Generator(model).generate(PROMPTS, SamplingParams.greedy(8).withIgnoreEos(true));
    }
}
