package dev.raftj.model;

import dev.raftj.torch.Torch;
import java.util.Map;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptional;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;

/**
 * Llama family (also Qwen2): RoPE, RMSNorm, SwiGLU MLP, grouped-query attention. Qwen2's q/k/v
 * biases are used when the checkpoint has them. In training mode, attention_dropout applies to the
 * attention probabilities only, as in HF's LlamaAttention / Qwen2Attention.
 */
final class LlamaBackbone extends Backbone {
    private final Tensor invFreq; // [headDim/2] float32, on the weights' device

    LlamaBackbone(ModelConfig config, Map<String, Tensor> weights, String prefix) {
        super(config, weights, prefix);
        Tensor emb = weights.get(prefix + "embed_tokens.weight");
        float[] inv = Rope.inverseFrequencies(config.rope, config.headDim);
        this.invFreq = Torch.floats(inv, inv.length).to(emb == null ? new org.bytedeco.pytorch.Device("cpu") : emb.device(),
                torch.ScalarType.Float);
    }

    @Override
    protected Map<String, long[]> expectedShapes() {
        long d = config.hidden, qd = (long) config.heads * config.headDim, kvd = (long) config.kvHeads * config.headDim;
        long inner = config.intermediate;
        Map<String, long[]> s = shapes();
        s.put("embed_tokens.weight", new long[] {config.vocabSize, d});
        for (int i = 0; i < config.layers; i++) {
            String p = "layers." + i + ".";
            s.put(p + "input_layernorm.weight", new long[] {d});
            s.put(p + "self_attn.q_proj.weight", new long[] {qd, d});
            s.put(p + "self_attn.k_proj.weight", new long[] {kvd, d});
            s.put(p + "self_attn.v_proj.weight", new long[] {kvd, d});
            s.put(p + "self_attn.o_proj.weight", new long[] {d, qd});
            s.put(p + "post_attention_layernorm.weight", new long[] {d});
            s.put(p + "mlp.gate_proj.weight", new long[] {inner, d});
            s.put(p + "mlp.up_proj.weight", new long[] {inner, d});
            s.put(p + "mlp.down_proj.weight", new long[] {d, inner});
        }
        s.put("norm.weight", new long[] {d});
        return s;
    }

    @Override
    protected String modulePrefix() {
        return "model.";
    }

    @Override
    protected String blockPrefix() {
        return "layers.";
    }

    @Override
    protected boolean fanInFanOut() {
        return false;
    }

    @Override
    public Tensor tokenEmbedding() {
        return w("embed_tokens.weight");
    }

    @Override
    protected Tensor embed(Tensor ids, Tensor positions) {
        return embedTokens(ids);
    }

    /** cos and sin tables [B, 1, T, headDim] for these positions, computed once per forward. */
    @Override
    protected Object prepare(Tensor positions) {
        Tensor freqs = positions.to(torch.ScalarType.Float).unsqueeze(2).mul(invFreq); // [B,T,D/2]
        Tensor emb = torch.cat(new TensorVector(freqs, freqs), 2).unsqueeze(1);
        Tensor dtypeRef = w("embed_tokens.weight");
        return new Tensor[] {emb.cos().to(Torch.dtype(dtypeRef)), emb.sin().to(Torch.dtype(dtypeRef))};
    }

    @Override
    protected Tensor block(int i, Tensor x, Tensor mask, Object prepared, KvCache cache) {
        String p = "layers." + i + ".";
        long b = x.size(0), t = x.size(1), hd = config.headDim;
        Tensor[] cosSin = (Tensor[]) prepared;
        Tensor h = rmsNorm(x, p + "input_layernorm.weight");
        Tensor q = linear(h, p + "self_attn.q_proj").view(b, t, config.heads, hd).transpose(1, 2);
        Tensor k = linear(h, p + "self_attn.k_proj").view(b, t, config.kvHeads, hd).transpose(1, 2);
        Tensor v = linear(h, p + "self_attn.v_proj").view(b, t, config.kvHeads, hd).transpose(1, 2);
        q = Rotary.apply(q, cosSin[0], cosSin[1]);
        k = Rotary.apply(k, cosSin[0], cosSin[1]);
        if (cache != null) {
            Tensor[] kv = cache.append(i, k, v);
            k = kv[0];
            v = kv[1];
        }
        x = x.add(linear(attend(q, k, v, mask, 1.0 / Math.sqrt(hd), attnDropoutP()), p + "self_attn.o_proj"));
        h = rmsNorm(x, p + "post_attention_layernorm.weight");
        Tensor act = Activations.siluMul(linear(h, p + "mlp.gate_proj"), linear(h, p + "mlp.up_proj"));
        return x.add(linear(act, p + "mlp.down_proj"));
    }

    @Override
    protected Tensor finalNorm(Tensor x) {
        return rmsNorm(x, "norm.weight");
    }


    private Tensor rmsNorm(Tensor x, String weight) {
        return Rotary.rmsNorm(x, w(weight), config.normEps);
    }

    private Tensor linear(Tensor x, String name) {
        Tensor bias = optional(name + ".bias");
        Tensor out = bias == null ? torch.linear(x, w(name + ".weight"))
                : torch.linear(x, w(name + ".weight"), new TensorOptional(bias));
        return project(name, x, out);
    }
}
