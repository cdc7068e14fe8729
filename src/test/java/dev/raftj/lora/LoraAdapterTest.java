package dev.raftj.lora;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.raftj.Reference;
import dev.raftj.core.UserError;
import dev.raftj.model.CausalLM;
import dev.raftj.torch.Torch;
import dev.raftj.train.SftStep;
import java.util.ArrayList;
import java.util.List;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.Test;

/** Initialisation, default targets, the frozen path and what trains. */
class LoraAdapterTest {
    static final Tensor IDS = Torch.longs(new long[] {5, 17, 42, 9, 3, 77, 8, 12}, 2, 4);
    static final Tensor MASK = Torch.longs(new long[] {1, 1, 1, 1, 1, 1, 1, 1}, 2, 4);

    static LoraConfig config(Integer r, Double alpha, Double dropout, List<String> targets, LoraConfig.Init init) {
        return new LoraConfig(r, alpha, dropout, targets, null, init, null);
    }

    static float[] logits(CausalLM m) {
        try (NoGradGuard g = new NoGradGuard()) {
            return Torch.toFloats(m.logits(IDS, MASK));
        }
    }

    @Test
    void defaultTargetsArePeftsForEachFamily() {
        CausalLM gpt2 = CausalLM.load(Reference.model("gpt2-tiny"));
        LoraAdapter a = LoraAdapter.create(gpt2, LoraConfig.defaults(), 1);
        assertEquals(List.of("transformer.h.0.attn.c_attn", "transformer.h.1.attn.c_attn"), List.copyOf(a.layers().keySet()));
        assertTrue(a.layers().values().stream().allMatch(l -> l.projection().fanInFanOut()), "GPT-2's Conv1D");
        assertEquals(List.of("c_attn"), a.config().targetModules());
        CausalLM llama = CausalLM.load(Reference.model("llama-tiny"));
        LoraAdapter b = LoraAdapter.create(llama, LoraConfig.defaults(), 1);
        assertEquals(List.of("model.layers.0.self_attn.q_proj", "model.layers.0.self_attn.v_proj",
                "model.layers.1.self_attn.q_proj", "model.layers.1.self_attn.v_proj"), List.copyOf(b.layers().keySet()));
        var v = b.layers().get("model.layers.0.self_attn.v_proj");
        assertEquals(List.of(8L, 64L), List.of(v.a().size(0), v.a().size(1)), "A [r, in]");
        assertEquals(List.of(32L, 8L), List.of(v.b().size(0), v.b().size(1)), "B [out, r]: 2 KV heads × 16");
        assertEquals(8 * (64 + 64) * 2 + 8 * (64 + 32) * 2, b.parameterCount());
    }

    @Test
    void aTargetThatMatchesNothingIsAnError() {
        CausalLM gpt2 = CausalLM.load(Reference.model("gpt2-tiny"));
        UserError e = assertThrows(UserError.class,
                () -> LoraAdapter.create(gpt2, config(null, null, null, List.of("q_proj"), null), 1));
        assertTrue(e.getMessage().contains("sft.lora.target_modules: 'q_proj' matches no projection")
                && e.getMessage().contains("c_attn, c_proj, c_fc"), e.getMessage());
    }

    @Test
    void defaultInitIsKaimingUniformGaussianIsOneOverRAndBIsZero() {
        CausalLM gpt2 = CausalLM.load(Reference.model("gpt2-tiny"));
        for (LoraConfig.Init init : LoraConfig.Init.values()) {
            LoraAdapter a = LoraAdapter.create(gpt2, config(16, null, null, List.of("c_attn", "c_fc"), init), 3);
            List<Float> all = new ArrayList<>();
            for (var l : a.layers().values()) {
                for (float x : Torch.toFloats(l.a())) all.add(x);
                for (float x : Torch.toFloats(l.b())) assertEquals(0f, x, "B starts at zero");
            }
            double mean = all.stream().mapToDouble(x -> x).average().orElseThrow();
            double std = Math.sqrt(all.stream().mapToDouble(x -> (x - mean) * (x - mean)).sum() / all.size());
            double max = all.stream().mapToDouble(x -> Math.abs(x)).max().orElseThrow();
            // 4 matrices of 16 × 64 = 4096 draws: the std is within a few percent of the law's
            if (init == LoraConfig.Init.DEFAULT) {
                assertTrue(max <= 0.125, "U(-1/√64, 1/√64): max |A| " + max);
                assertEquals(0.125 / Math.sqrt(3), std, 0.05 * 0.125 / Math.sqrt(3), "uniform std bound/√3");
            } else {
                assertEquals(1.0 / 16, std, 0.05 / 16, "N(0, (1/r)²)");
                assertTrue(max > 0.125, "a Gaussian's tail passes the uniform bound: " + max);
            }
            assertEquals(0, mean, 0.1 * std);
        }
        float[] a1 = Torch.toFloats(LoraAdapter.create(gpt2, LoraConfig.defaults(), 3).parameters().get(0));
        float[] a2 = Torch.toFloats(LoraAdapter.create(gpt2, LoraConfig.defaults(), 3).parameters().get(0));
        float[] a3 = Torch.toFloats(LoraAdapter.create(gpt2, LoraConfig.defaults(), 4).parameters().get(0));
        assertEquals(java.util.Arrays.toString(a1), java.util.Arrays.toString(a2), "seeded");
        assertNotEquals(java.util.Arrays.toString(a1), java.util.Arrays.toString(a3));
    }

    @Test
    void aFreshAdapterLeavesTheModelExactlyAsItWas() {
        CausalLM model = CausalLM.load(Reference.model("llama-tiny"));
        float[] base = logits(model);
        model.attach(LoraAdapter.create(model, config(4, 32.0, null, List.of("q_proj", "k_proj", "v_proj", "o_proj",
                "gate_proj", "up_proj", "down_proj"), null), 1));
        assertEquals(java.util.Arrays.toString(base), java.util.Arrays.toString(logits(model)));
    }

    @Test
    void onlyTheAdapterTrainsAndTheBaseWithTheAdapterOffIsUnchanged() {
        CausalLM model = CausalLM.load(Reference.model("gpt2-tiny"));
        float[] base = logits(model);
        List<float[]> weightsBefore = new ArrayList<>();
        for (Tensor w : model.parameters()) weightsBefore.add(Torch.toFloats(w));
        LoraAdapter adapter = LoraAdapter.create(model, config(4, 8.0, null, null, null), 1);
        model.attach(adapter);
        CausalLM reference = model.withoutAdapter();
        assertSame(model.weights(), reference.weights(), "π0 shares the policy's weights: no second copy");
        Tensor labels = Torch.longs(new long[] {-100, 17, 42, 9, -100, 77, 8, 12}, 2, 4);
        try (SftStep step = new SftStep(model, 1e-2, 0.0, 0.0)) {
            assertEquals(adapter.parameters().size(), step.optimizer().parameters().size(),
                    "the optimizer holds A and B only");
            double first = step.step(IDS, MASK, labels).loss();
            double last = first;
            for (int i = 0; i < 5; i++) last = step.step(IDS, MASK, labels).loss();
            assertTrue(last < first, "the adapter learns: " + first + " -> " + last);
        }
        List<Tensor> after = model.parameters();
        for (int i = 0; i < after.size(); i++) {
            assertEquals(java.util.Arrays.toString(weightsBefore.get(i)), java.util.Arrays.toString(Torch.toFloats(after.get(i))),
                    "base weight " + i + " is frozen");
            assertTrue(!after.get(i).requires_grad(), "no gradient buffer for base weight " + i);
        }
        assertNotEquals(java.util.Arrays.toString(base), java.util.Arrays.toString(logits(model)), "the policy moved");
        assertEquals(java.util.Arrays.toString(base), java.util.Arrays.toString(logits(reference)), "π0 did not");
    }

    @Test
    void dropoutActsOnTheAdapterPathOnly() {
        CausalLM model = CausalLM.load(Reference.model("gpt2-tiny"));
        model.overrideDropout(0.0);
        LoraAdapter adapter = LoraAdapter.create(model, config(4, 8.0, 0.5, null, null), 1);
        model.attach(adapter);
        assertTrue(model.hasDropout(), "the adapter's dropout makes SftStep seed its masks");
        float[] eval = logits(model);
        model.setTraining(true);
        torch.manual_seed(1);
        float[] training = logits(model);
        assertEquals(java.util.Arrays.toString(eval), java.util.Arrays.toString(training),
                "B = 0: whatever the adapter's input dropout does, the frozen path is not dropped");
        try (NoGradGuard g = new NoGradGuard()) {
            for (var l : adapter.layers().values()) l.b().normal_(0, 0.3, null);
        }
        model.setTraining(false);
        float[] evalB = logits(model);
        model.setTraining(true);
        torch.manual_seed(1);
        float[] trainingB = logits(model);
        model.setTraining(false);
        assertNotEquals(java.util.Arrays.toString(evalB), java.util.Arrays.toString(trainingB),
                "with B ≠ 0 the adapter's input is dropped in training mode");
    }
}
