package dev.raftj.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.raftj.OneTorchThread;
import dev.raftj.Reference;
import dev.raftj.core.UserError;
import dev.raftj.torch.Torch;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.function.Consumer;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Dropout: read from config.json as HF names it, applied only in training mode (LibTorch's
 * generator), never in eval mode (the default).
 */
@ExtendWith(OneTorchThread.class)
class DropoutTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void configReadsHfDropoutFieldsWithHfDefaults(@TempDir Path tmp) throws Exception {
        ModelConfig gpt2 = ModelConfig.load(Reference.model("gpt2-tiny"));
        assertEquals(0.1, gpt2.embdDropout);
        assertEquals(0.1, gpt2.attnDropout);
        assertEquals(0.1, gpt2.residDropout);
        ModelConfig llama = ModelConfig.load(Reference.model("llama-tiny"));
        assertEquals(0.0, llama.embdDropout);
        assertEquals(0.0, llama.attnDropout);
        assertEquals(0.0, llama.residDropout);

        ModelConfig bare = ModelConfig.load(configOnly(tmp.resolve("g"), "gpt2-tiny", c -> {
            c.remove("embd_pdrop");
            c.remove("attn_pdrop");
            c.putNull("resid_pdrop");
        }));
        assertEquals(0.1, bare.embdDropout, "GPT-2 default");
        assertEquals(0.1, bare.attnDropout, "GPT-2 default");
        assertEquals(0.1, bare.residDropout, "GPT-2 default");
        ModelConfig gpt2Set = ModelConfig.load(configOnly(tmp.resolve("g2"), "gpt2-tiny", c -> {
            c.put("embd_pdrop", 0.25);
            c.put("attn_pdrop", 0.0);
            c.put("resid_pdrop", 0.5);
        }));
        assertEquals(0.25, gpt2Set.embdDropout);
        assertEquals(0.0, gpt2Set.attnDropout);
        assertEquals(0.5, gpt2Set.residDropout);
        assertEquals(0.0, ModelConfig.load(configOnly(tmp.resolve("l"), "llama-tiny",
                c -> c.remove("attention_dropout"))).attnDropout, "Llama default");
        ModelConfig qwen = ModelConfig.load(configOnly(tmp.resolve("q"), "llama-tiny", c -> {
            c.put("model_type", "qwen2");
            c.put("attention_dropout", 0.3);
        }));
        assertEquals(0.3, qwen.attnDropout);
        assertEquals(0.0, qwen.embdDropout);
        assertEquals(0.0, qwen.residDropout);

        for (Object bad : new Object[] {"0.1", -0.1, 1.5}) {
            Path dir = configOnly(tmp.resolve("bad" + bad), "gpt2-tiny", c -> c.set("attn_pdrop", JSON.valueToTree(bad)));
            UserError e = assertThrows(UserError.class, () -> ModelConfig.load(dir));
            assertTrue(e.getMessage().contains("'attn_pdrop'"), e.getMessage());
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"gpt2-tiny", "llama-tiny"})
    void trainingModeDropsAndEvalModeDoesNot(String name) {
        Map<String, Tensor> g = Reference.golden(name);
        CausalLM model = CausalLM.load(Reference.model(name));
        assertFalse(model.isTraining(), "eval mode is the default");
        if (!model.hasDropout()) model.overrideDropout(0.1); // llama-tiny's attention_dropout is 0.0
        float[] eval = logits(model, g);
        assertArrayEquals(eval, logits(model, g), "eval mode is deterministic");
        model.setTraining(true);
        float[] a = logits(model, g), b = logits(model, g);
        assertFalse(Arrays.equals(a, b), "two training-mode forwards draw different masks");
        assertFalse(Arrays.equals(eval, a), "training mode drops");
        model.setTraining(false);
        assertArrayEquals(eval, logits(model, g), "back in eval mode nothing is dropped");
    }

    @ParameterizedTest
    @ValueSource(strings = {"gpt2-tiny", "llama-tiny"})
    void trainingModeWithZeroDropoutEqualsEvalMode(String name) {
        Map<String, Tensor> g = Reference.golden(name);
        CausalLM model = CausalLM.load(Reference.model(name));
        float[] eval = logits(model, g);
        model.overrideDropout(0.0);
        assertFalse(model.hasDropout());
        model.setTraining(true);
        assertArrayEquals(eval, logits(model, g));
    }

    @ParameterizedTest
    @ValueSource(strings = {"gpt2-tiny", "llama-tiny"})
    void theSameSeedDrawsTheSameMasks(String name) {
        Map<String, Tensor> g = Reference.golden(name);
        CausalLM model = CausalLM.load(Reference.model(name));
        model.overrideDropout(0.2);
        model.setTraining(true);
        torch.manual_seed(7);
        float[] first = logits(model, g);
        torch.rand(100); // unrelated draws in between must not matter once the seed is set again
        torch.manual_seed(7);
        assertArrayEquals(first, logits(model, g), "LibTorch's default generator, seeded, gives the same masks");
        torch.manual_seed(8);
        assertFalse(Arrays.equals(first, logits(model, g)), "another seed, other masks");
    }

    /** Each of GPT-2's three probabilities is wired (alone, it changes the training forward). */
    @ParameterizedTest
    @ValueSource(strings = {"embd_pdrop", "attn_pdrop", "resid_pdrop"})
    void eachGpt2DropoutFieldTakesEffectAlone(String field, @TempDir Path tmp) throws Exception {
        Map<String, Tensor> g = Reference.golden("gpt2-tiny");
        Path dir = checkpoint(tmp, "gpt2-tiny", c -> {
            for (String f : new String[] {"embd_pdrop", "attn_pdrop", "resid_pdrop"}) c.put(f, f.equals(field) ? 0.5 : 0.0);
        });
        CausalLM model = CausalLM.load(dir);
        float[] eval = logits(model, g);
        model.setTraining(true);
        assertFalse(Arrays.equals(eval, logits(model, g)), field + " 0.5 alone must drop something");
    }

    /**
     * A training-mode forward equals GPT-2 written out in HF's order (modeling_gpt2.py, eager
     * attention) under the same seed: drop(wte + wpe) with embd_pdrop; per block, dropout of the
     * softmaxed attention with attn_pdrop, resid_dropout after attn.c_proj, dropout after
     * mlp.c_proj with resid_pdrop. Distinct probabilities catch a swapped field; a missing, extra or
     * reordered dropout shifts every later mask and fails by far more than the tolerance.
     */
    @Test
    void gpt2TrainingForwardMatchesHfOrderUnderTheSameSeed(@TempDir Path tmp) throws Exception {
        double embd = 0.3, attn = 0.2, resid = 0.1;
        CausalLM model = CausalLM.load(checkpoint(tmp, "gpt2-tiny", c -> {
            c.put("embd_pdrop", embd);
            c.put("attn_pdrop", attn);
            c.put("resid_pdrop", resid);
        }));
        Tensor ids = Reference.golden("gpt2-tiny").get("input_ids");
        Tensor mask = torch.ones_like(ids);
        model.setTraining(true);
        torch.manual_seed(11);
        float[] ours = Torch.toFloats(model.logits(ids, mask));
        torch.manual_seed(11);
        float[] hf = Torch.toFloats(hfOrderGpt2(model, ids, embd, attn, resid));
        Reference.assertClose("training-mode logits vs HF-order reference", hf, ours, 1e-4, 1e-4);
        torch.manual_seed(12);
        assertFalse(Arrays.equals(ours, Torch.toFloats(model.logits(ids, mask))));
    }

    /** GPT-2 from the weights alone, dropout placed as HF's GPT2Model places it; no padding. */
    private static Tensor hfOrderGpt2(CausalLM model, Tensor ids, double embd, double attn, double resid) {
        ModelConfig c = model.config();
        Map<String, Tensor> w = model.weights();
        long b = ids.size(0), t = ids.size(1), d = c.hidden, h = c.heads, hd = c.headDim;
        Tensor positions = torch.arange(new org.bytedeco.pytorch.Scalar(t)).unsqueeze(0).expand(b, t);
        Tensor x = torch.dropout(torch.embedding(w.get("transformer.wte.weight"), ids)
                .add(torch.embedding(w.get("transformer.wpe.weight"), positions)), embd, true);
        Tensor future = torch.ones(t, t).triu(1).to(torch.ScalarType.Bool);
        for (int i = 0; i < c.layers; i++) {
            String p = "transformer.h." + i + ".";
            Tensor qkv = conv1d(layerNorm(x, w, p + "ln_1", c), w, p + "attn.c_attn");
            Tensor q = qkv.narrow(2, 0, d).view(b, t, h, hd).transpose(1, 2);
            Tensor k = qkv.narrow(2, d, d).view(b, t, h, hd).transpose(1, 2);
            Tensor v = qkv.narrow(2, 2 * d, d).view(b, t, h, hd).transpose(1, 2);
            Tensor scores = q.matmul(k.transpose(2, 3)).div(new org.bytedeco.pytorch.Scalar(Math.sqrt(hd)));
            Tensor probs = torch.dropout(scores.masked_fill(future, new org.bytedeco.pytorch.Scalar(Double.NEGATIVE_INFINITY))
                    .softmax(3), attn, true);
            Tensor a = probs.matmul(v).transpose(1, 2).reshape(b, t, d);
            x = x.add(torch.dropout(conv1d(a, w, p + "attn.c_proj"), resid, true));
            Tensor m = torch.gelu(conv1d(layerNorm(x, w, p + "ln_2", c), w, p + "mlp.c_fc"), "tanh");
            x = x.add(torch.dropout(conv1d(m, w, p + "mlp.c_proj"), resid, true));
        }
        return torch.linear(layerNorm(x, w, "transformer.ln_f", c), w.get("transformer.wte.weight"));
    }

    private static Tensor layerNorm(Tensor x, Map<String, Tensor> w, String name, ModelConfig c) {
        return torch.layer_norm(x, new long[] {c.hidden}, new org.bytedeco.pytorch.TensorOptional(w.get(name + ".weight")),
                new org.bytedeco.pytorch.TensorOptional(w.get(name + ".bias")), c.normEps, false);
    }

    private static Tensor conv1d(Tensor x, Map<String, Tensor> w, String name) {
        return x.matmul(w.get(name + ".weight")).add(w.get(name + ".bias"));
    }

    @Test
    void llamaAttentionDropoutFromConfigTakesEffect(@TempDir Path tmp) throws Exception {
        Map<String, Tensor> g = Reference.golden("llama-tiny");
        CausalLM model = CausalLM.load(checkpoint(tmp, "llama-tiny", c -> c.put("attention_dropout", 0.5)));
        assertTrue(model.hasDropout());
        float[] eval = logits(model, g);
        assertArrayEquals(logits(CausalLM.load(Reference.model("llama-tiny")), g), eval, "eval mode ignores it");
        model.setTraining(true);
        assertFalse(Arrays.equals(eval, logits(model, g)));
    }

    @Test
    void overrideDropoutAcceptsOnlyZeroToBelowOne() {
        CausalLM model = CausalLM.load(Reference.model("gpt2-tiny"));
        for (double bad : new double[] {-0.01, 1.0, 1.5, Double.NaN, Double.POSITIVE_INFINITY}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> model.overrideDropout(bad));
            assertTrue(e.getMessage().contains("[0, 1)"), e.getMessage());
        }
        assertTrue(model.hasDropout(), "a rejected value changes nothing");
        model.overrideDropout(0.0);
        assertFalse(model.hasDropout());
        model.overrideDropout(0.99);
        assertTrue(model.hasDropout());
    }

    private static float[] logits(CausalLM model, Map<String, Tensor> g) {
        return Torch.toFloats(model.logits(g.get("input_ids"), g.get("attention_mask")));
    }

    /** A folder holding only the reference model's config.json, edited. */
    private static Path configOnly(Path dir, String model, Consumer<ObjectNode> edit) throws Exception {
        Files.createDirectories(dir);
        ObjectNode c = (ObjectNode) JSON.readTree(Reference.model(model).resolve("config.json").toFile());
        edit.accept(c);
        Files.writeString(dir.resolve("config.json"), JSON.writeValueAsString(c));
        return dir;
    }

    /** The reference model with its config.json edited. */
    private static Path checkpoint(Path dir, String model, Consumer<ObjectNode> edit) throws Exception {
        configOnly(dir, model, edit);
        Files.copy(Reference.model(model).resolve("model.safetensors"), dir.resolve("model.safetensors"));
        return dir;
    }
}
