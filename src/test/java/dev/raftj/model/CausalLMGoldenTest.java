package dev.raftj.model;

import dev.raftj.torch.Torch;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.raftj.Reference;
import dev.raftj.generate.Generator;
import dev.raftj.generate.Sample;
import dev.raftj.generate.SamplingParams;
import dev.raftj.train.SftLoss;
import dev.raftj.train.SftStep;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Conformance with HF transformers on the tiny reference checkpoints (goldens in float32). */
class CausalLMGoldenTest {

    @ParameterizedTest
    @ValueSource(strings = {"gpt2-tiny", "llama-tiny"})
    void logitsMatchWhereMasked(String name) {
        Map<String, Tensor> g = Reference.golden(name);
        CausalLM model = CausalLM.load(Reference.model(name));
        Tensor logits = model.logits(g.get("input_ids"), g.get("attention_mask"));
        long[] mask = Torch.toLongs(g.get("attention_mask"));
        float[] ref = Torch.toFloats(g.get("logits"));
        float[] got = Torch.toFloats(logits);
        int v = model.config().vocabSize;
        List<Integer> keep = new ArrayList<>();
        for (int i = 0; i < mask.length; i++) if (mask[i] == 1) keep.add(i);
        float[] r = new float[keep.size() * v], a = new float[keep.size() * v];
        for (int j = 0; j < keep.size(); j++) {
            System.arraycopy(ref, keep.get(j) * v, r, j * v, v);
            System.arraycopy(got, keep.get(j) * v, a, j * v, v);
        }
        Reference.assertClose(name + " logits", r, a, 1e-4, 0);
    }

    @ParameterizedTest
    @ValueSource(strings = {"gpt2-tiny", "llama-tiny"})
    void greedyThroughKvCacheMatchesHf(String name) {
        Map<String, Tensor> g = Reference.golden(name);
        CausalLM model = CausalLM.load(Reference.model(name));
        long[] ids = Torch.toLongs(g.get("gen_input_ids"));
        long[] mask = Torch.toLongs(g.get("gen_attention_mask"));
        int rows = (int) g.get("gen_input_ids").size(0), width = (int) g.get("gen_input_ids").size(1);
        List<int[]> prompts = new ArrayList<>();
        for (int r = 0; r < rows; r++) {
            List<Integer> p = new ArrayList<>();
            for (int c = 0; c < width; c++) if (mask[r * width + c] == 1) p.add((int) ids[r * width + c]);
            prompts.add(p.stream().mapToInt(Integer::intValue).toArray());
        }
        int n = (int) g.get("greedy_tokens").size(1);
        List<Sample> out = new Generator(model).generate(prompts, SamplingParams.greedy(n).withIgnoreEos(true));
        long[] refTok = Torch.toLongs(g.get("greedy_tokens"));
        float[] refLp = Torch.toFloats(g.get("greedy_logprobs"));
        float[] teacherForced = teacherForcedLogprobs(model, g, Positions.fromMask(fullMask(g)));
        boolean relativePositions = model.config().family == ModelConfig.Family.LLAMA;
        for (int r = 0; r < rows; r++) {
            int[] expect = new int[n];
            for (int j = 0; j < n; j++) expect[j] = (int) refTok[r * n + j];
            assertArrayEquals(expect, out.get(r).tokens(), name + " greedy tokens of row " + r);
            float[] lp = new float[n], tf = new float[n];
            System.arraycopy(refLp, r * n, lp, 0, n);
            System.arraycopy(teacherForced, r * n, tf, 0, n);
            // The cached path gives the same log-probabilities as a full forward.
            Reference.assertClose(name + " cached vs full-forward logprobs row " + r, tf, out.get(r).logprobs(), 1e-4, 0);
            boolean padded = prompts.get(r).length < width;
            if (relativePositions || !padded) {
                Reference.assertClose(name + " greedy logprobs row " + r, lp, out.get(r).logprobs(), 1e-4, 0);
            }
        }
    }

    /**
     * HF's golden greedy_logprobs come from a teacher-forced forward without position ids, so
     * left-padded rows got positions 0..T-1 (pads included). RoPE is relative, so Llama does not
     * care; GPT-2's learned positions do. Our forward reproduces HF under those same positions.
     */
    @Test
    void gpt2TeacherForcedLogprobsMatchHfUnderHfPositions() {
        Map<String, Tensor> g = Reference.golden("gpt2-tiny");
        CausalLM model = CausalLM.load(Reference.model("gpt2-tiny"));
        long rows = g.get("gen_input_ids").size(0);
        long t = g.get("gen_input_ids").size(1) + g.get("greedy_tokens").size(1);
        Tensor arange = org.bytedeco.pytorch.global.torch.arange(new org.bytedeco.pytorch.Scalar(t))
                .unsqueeze(0).expand(rows, t).contiguous();
        Reference.assertClose("gpt2-tiny teacher-forced logprobs", Torch.toFloats(g.get("greedy_logprobs")),
                teacherForcedLogprobs(model, g, arange), 1e-4, 0);
    }

    private static Tensor fullMask(Map<String, Tensor> g) {
        return org.bytedeco.pytorch.global.torch.cat(new org.bytedeco.pytorch.TensorVector(
                g.get("gen_attention_mask"), org.bytedeco.pytorch.global.torch.ones_like(g.get("greedy_tokens"))), 1);
    }

    /** log p of each golden greedy token from one full forward over prompt + tokens. */
    private static float[] teacherForcedLogprobs(CausalLM model, Map<String, Tensor> g, Tensor positions) {
        Tensor tokens = g.get("greedy_tokens");
        Tensor full = org.bytedeco.pytorch.global.torch.cat(
                new org.bytedeco.pytorch.TensorVector(g.get("gen_input_ids"), tokens), 1);
        long promptLen = g.get("gen_input_ids").size(1), n = tokens.size(1);
        Tensor lp = org.bytedeco.pytorch.global.torch.log_softmax(model.logits(full, positions, fullMask(g), null), 2);
        return Torch.toFloats(lp.narrow(1, promptLen - 1, n).gather(2, tokens.unsqueeze(2)).squeeze(2));
    }

    /** The SFT loss of our eval-mode logits equals that of HF's golden logits. */
    @Test
    void gpt2SftLossMatchesTheGoldenLogits() {
        Map<String, Tensor> g = Reference.golden("gpt2-tiny");
        CausalLM model = CausalLM.load(Reference.model("gpt2-tiny"));
        double fromGoldenLogits = Torch.item(SftLoss.maskedCrossEntropy(g.get("logits"), g.get("sft_labels")));
        double ours = Torch.item(SftLoss.maskedCrossEntropy(model.logits(g.get("input_ids"), g.get("attention_mask")),
                g.get("sft_labels")));
        assertEquals(7.248913592973573, fromGoldenLogits, 1e-5, "the golden logits' loss (numpy, float64)");
        assertEquals(fromGoldenLogits, ours, 1e-5 * fromGoldenLogits);
    }

    /**
     * HF's SFT goldens are eval-mode steps (model.eval()). llama-tiny's attention_dropout is 0.0, so
     * its training-mode step is deterministic as loaded; gpt2-tiny's dropout 0.1 is overridden to 0.
     */
    @ParameterizedTest
    @ValueSource(strings = {"gpt2-tiny", "llama-tiny"})
    void sftLossGradNormAndOneAdamWStep(String name) {
        Map<String, Tensor> g = Reference.golden(name);
        CausalLM model = CausalLM.load(Reference.model(name));
        if (name.startsWith("gpt2")) model.overrideDropout(0.0);
        try (SftStep step = new SftStep(model, 1e-3, 0.01, 0)) {
            SftStep.Result r = step.step(g.get("input_ids"), g.get("attention_mask"), g.get("sft_labels"));
            double lossBefore = Torch.item(g.get("sft_loss_before"));
            assertEquals(lossBefore, r.loss(), 1e-5 * Math.abs(lossBefore), "loss before");
            double norm = Torch.item(g.get("sft_grad_norm"));
            assertEquals(norm, r.gradNorm(), 1e-4 * norm, "gradient norm");
            Tensor after = SftLoss.maskedCrossEntropy(model.logits(g.get("input_ids"), g.get("attention_mask")),
                    g.get("sft_labels"));
            double lossAfter = Torch.item(g.get("sft_loss_after"));
            assertEquals(lossAfter, Torch.item(after), 1e-5 * Math.abs(lossAfter), "loss after one AdamW step");
        }
    }
}
