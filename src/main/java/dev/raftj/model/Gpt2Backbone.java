package dev.raftj.model;

import java.util.Map;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;

/**
 * GPT-2: learned positions, pre-LayerNorm blocks, GELU (tanh) MLP; HF's Conv1D stores W as [in, out].
 * In training mode, dropout where HF's GPT2Model applies it: embd_pdrop on wte + wpe, attn_pdrop on
 * the attention probabilities, resid_pdrop after attn.c_proj and after mlp.c_proj.
 */
final class Gpt2Backbone extends Backbone {

    Gpt2Backbone(ModelConfig config, Map<String, Tensor> weights, String prefix) {
        super(config, weights, prefix);
    }

    @Override
    protected Map<String, long[]> expectedShapes() {
        long d = config.hidden, inner = config.intermediate;
        Map<String, long[]> s = shapes();
        s.put("wte.weight", new long[] {config.vocabSize, d});
        s.put("wpe.weight", new long[] {config.maxPositions, d});
        for (int i = 0; i < config.layers; i++) {
            String p = "h." + i + ".";
            s.put(p + "ln_1.weight", new long[] {d});
            s.put(p + "ln_1.bias", new long[] {d});
            s.put(p + "attn.c_attn.weight", new long[] {d, 3 * d});
            s.put(p + "attn.c_attn.bias", new long[] {3 * d});
            s.put(p + "attn.c_proj.weight", new long[] {d, d});
            s.put(p + "attn.c_proj.bias", new long[] {d});
            s.put(p + "ln_2.weight", new long[] {d});
            s.put(p + "ln_2.bias", new long[] {d});
            s.put(p + "mlp.c_fc.weight", new long[] {d, inner});
            s.put(p + "mlp.c_fc.bias", new long[] {inner});
            s.put(p + "mlp.c_proj.weight", new long[] {inner, d});
            s.put(p + "mlp.c_proj.bias", new long[] {d});
        }
        s.put("ln_f.weight", new long[] {d});
        s.put("ln_f.bias", new long[] {d});
        return s;
    }

    @Override
    protected String modulePrefix() {
        return "transformer.";
    }

    @Override
    protected String blockPrefix() {
        return "h.";
    }

    @Override
    protected boolean fanInFanOut() {
        return true;
    }

    @Override
    public Tensor tokenEmbedding() {
        return w("wte.weight");
    }

    @Override
    protected Tensor embed(Tensor ids, Tensor positions) {
        return embdDropout(embedTokens(ids).add(torch.embedding(w("wpe.weight"), positions)));
    }

    @Override
    protected Tensor block(int i, Tensor x, Tensor mask, Object prepared, KvCache cache) {
        String p = "h." + i + ".";
        long b = x.size(0), t = x.size(1), d = config.hidden, h = config.heads, hd = config.headDim;
        Tensor qkv = conv1d(layerNorm(x, p + "ln_1"), p + "attn.c_attn");
        TensorVector parts = qkv.split(d, 2);
        Tensor q = parts.get(0).view(b, t, h, hd).transpose(1, 2);
        Tensor k = parts.get(1).view(b, t, h, hd).transpose(1, 2);
        Tensor v = parts.get(2).view(b, t, h, hd).transpose(1, 2);
        if (cache != null) {
            Tensor[] kv = cache.append(i, k, v);
            k = kv[0];
            v = kv[1];
        }
        double scale = 1.0 / Math.sqrt(hd);
        if (config.scaleAttnByInverseLayerIdx) scale /= (i + 1);
        // the residual add and ln_2 in one pass where the CPU kernel applies (LayerNorm)
        Tensor[] sumAndNorm = LayerNorm.addAndApply(x, residDropout(conv1d(attend(q, k, v, mask, scale, attnDropoutP()),
                p + "attn.c_proj")), w(p + "ln_2.weight"), w(p + "ln_2.bias"), config.normEps);
        x = sumAndNorm[0];
        Tensor fc = conv1d(sumAndNorm[1], p + "mlp.c_fc");
        Tensor hidden = config.activation.equals("gelu") ? torch.gelu(fc, "none") : Activations.geluTanh(fc);
        return x.add(residDropout(conv1d(hidden, p + "mlp.c_proj")));
    }

    @Override
    protected Tensor finalNorm(Tensor x) {
        return layerNorm(x, "ln_f");
    }

    private Tensor layerNorm(Tensor x, String name) {
        return LayerNorm.apply(x, w(name + ".weight"), w(name + ".bias"), config.normEps);
    }

    /** HF's Conv1D: bias + x·W in one addmm (as HF computes it), on x viewed as 2-D. */
    private Tensor conv1d(Tensor x, String name) {
        Tensor weight = w(name + ".weight");
        long b = x.size(0), t = x.size(1);
        Tensor flat = x.reshape(b * t, x.size(2));
        return project(name, flat, torch.addmm(w(name + ".bias"), flat, weight)).view(b, t, weight.size(1));
    }
}
