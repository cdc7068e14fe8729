package dev.raftj.model;

import dev.raftj.torch.Torch;
import dev.raftj.core.UserError;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.DoubleOptional;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptional;
import org.bytedeco.pytorch.global.torch;

/**
 * The transformer body shared by causal LMs and reward models: embeddings, blocks, final norm.
 * Weights live in a map under their Hugging Face names, so loading and saving are name-for-name.
 * Subclasses ({@link Gpt2Backbone}, {@link LlamaBackbone}) supply the family's block.
 */
public abstract class Backbone {
    protected final ModelConfig config;
    protected final Map<String, Tensor> weights;
    /** "transformer." / "model." as in HF's *LMHeadModel and *ForSequenceClassification files. */
    protected final String prefix;
    /** Eval mode (false) applies no dropout; training mode applies the probabilities below. */
    private boolean training;
    private double embdDropout, attnDropout, residDropout;
    /** Added to the block projections when set (LoRA); null for the plain model. */
    private ProjectionAdapter adapter;
    /** The token embedding's backward yields a sparse gradient (set when it is also the LM head). */
    private boolean sparseTokenGradient;

    protected Backbone(ModelConfig config, Map<String, Tensor> weights, String prefix) {
        this.config = config;
        this.weights = weights;
        this.prefix = prefix;
        this.embdDropout = config.embdDropout;
        this.attnDropout = config.attnDropout;
        this.residDropout = config.residDropout;
    }

    public static Backbone create(ModelConfig config, Map<String, Tensor> weights, Path weightsFile) {
        String defaultPrefix = config.family == ModelConfig.Family.GPT2 ? "transformer." : "model.";
        String probe = config.family == ModelConfig.Family.GPT2 ? "wte.weight" : "embed_tokens.weight";
        // Some checkpoints (the original "gpt2" upload) store the body without its prefix.
        String prefix = !weights.containsKey(defaultPrefix + probe) && weights.containsKey(probe) ? "" : defaultPrefix;
        Backbone b = config.family == ModelConfig.Family.GPT2
                ? new Gpt2Backbone(config, weights, prefix) : new LlamaBackbone(config, weights, prefix);
        b.check(weightsFile);
        return b;
    }

    /** Expected tensor shapes under names relative to the prefix. */
    protected abstract Map<String, long[]> expectedShapes();

    protected abstract Tensor embed(Tensor ids, Tensor positions);

    /** Per-forward state shared by the layers (RoPE tables for Llama). */
    protected Object prepare(Tensor positions) {
        return null;
    }

    protected abstract Tensor block(int layer, Tensor x, Tensor mask, Object prepared, KvCache cache);

    protected abstract Tensor finalNorm(Tensor x);

    /** The token embedding matrix [V, d] (for tied heads). */
    public abstract Tensor tokenEmbedding();

    public ModelConfig config() {
        return config;
    }

    /**
     * Makes the token lookup's backward a sparse gradient (the looked-up rows only) instead of a
     * dense [V, d] one. Only for an embedding that is also the LM head: autograd then adds those
     * rows in place into the head's dense gradient before the weight's gradient is stored, so no
     * second [V, d] temporary exists (154 MB at GPT-2 size). Alone, the gradient would stay sparse.
     */
    void sparseTokenGradient(boolean on) {
        this.sparseTokenGradient = on;
    }

    /** The token embedding rows of {@code ids} ({@link #sparseTokenGradient} decides the backward). */
    protected Tensor embedTokens(Tensor ids) {
        return torch.embedding(tokenEmbedding(), ids, -1, false, sparseTokenGradient);
    }

    /** Training mode applies dropout (LibTorch's default generator); eval mode, the default, none. */
    public void setTraining(boolean training) {
        this.training = training;
    }

    public boolean isTraining() {
        return training;
    }

    /** Sets every dropout probability of the body to {@code p}, 0 ≤ p < 1. */
    public void overrideDropout(double p) {
        if (!(p >= 0 && p < 1)) throw new IllegalArgumentException("dropout probability must lie in [0, 1), got " + p);
        embdDropout = p;
        attnDropout = p;
        residDropout = p;
    }

    /** True when some dropout probability is positive (whatever the mode), the adapter's included. */
    public boolean hasDropout() {
        return embdDropout > 0 || attnDropout > 0 || residDropout > 0 || (adapter != null && adapter.hasDropout());
    }

    /** Wraps the block projections with {@code adapter}; null restores the plain model. */
    public void setAdapter(ProjectionAdapter adapter) {
        this.adapter = adapter;
    }

    public ProjectionAdapter adapter() {
        return adapter;
    }

    /** The module-path prefix of the architecture (HF's {@code transformer.} / {@code model.}). */
    protected abstract String modulePrefix();

    /** Whether block projections store their weight [in, out] (GPT-2's Conv1D). */
    protected abstract boolean fanInFanOut();

    /** The body's linear projections inside the blocks (those an adapter may wrap), in load order. */
    public List<Projection> projections() {
        List<Projection> out = new ArrayList<>();
        for (Map.Entry<String, long[]> e : expectedShapes().entrySet()) {
            String name = e.getKey();
            long[] s = e.getValue();
            if (s.length != 2 || !name.endsWith(".weight") || !name.startsWith(blockPrefix())) continue;
            String module = modulePrefix() + name.substring(0, name.length() - ".weight".length());
            boolean t = fanInFanOut();
            out.add(new Projection(module, prefix + name, t ? s[0] : s[1], t ? s[1] : s[0], t));
        }
        return out;
    }

    /** Names of block tensors start with this ({@code h.} / {@code layers.}). */
    protected abstract String blockPrefix();

    /** A projection's output as the model uses it: the adapter's, if one is set. */
    protected Tensor project(String name, Tensor input, Tensor output) {
        return adapter == null ? output : adapter.adapt(modulePrefix() + name, input, output, training);
    }

    /** The attention-probability dropout for this forward: 0 in eval mode. */
    protected double attnDropoutP() {
        return training ? attnDropout : 0.0;
    }

    /** Embedding dropout (GPT-2's embd_pdrop); identity in eval mode. */
    protected Tensor embdDropout(Tensor x) {
        return dropout(x, embdDropout);
    }

    /** Residual-branch dropout (GPT-2's resid_pdrop); identity in eval mode. */
    protected Tensor residDropout(Tensor x) {
        return dropout(x, residDropout);
    }

    private Tensor dropout(Tensor x, double p) {
        return training && p > 0 ? torch.dropout(x, p, true) : x;
    }

    /**
     * Runs the body. {@code ids}, {@code positions} and {@code keyMask} are [B, T]; keyMask is 1 for
     * real tokens, 0 for padding. With a cache, the new tokens follow the cached ones.
     * Returns the final-normed hidden states [B, T, d].
     */
    public Tensor forward(Tensor ids, Tensor positions, Tensor keyMask, KvCache cache) {
        int t = (int) ids.size(1);
        int past = cache == null ? 0 : cache.length;
        Torch.gemmRows(ids.size(0) * t, config.hidden, config.intermediate);
        Tensor newMask = keyMask.to(torch.ScalarType.Bool);
        Tensor allKeys = cache == null ? newMask : cache.appendMask(newMask, t);
        Tensor mask = attentionMask(allKeys, t, past);
        Tensor x = embed(ids, positions);
        Object prepared = prepare(positions);
        // Each layer's temporaries are released when the layer ends, not when the caller's
        // PointerScope closes: otherwise every intermediate of every layer stays resident until
        // then (1.9 GB for a 124M forward on 64 × 46 tokens). Autograd keeps what backward needs
        // on its own; each layer's input is let go as soon as its output exists. Without an
        // enclosing scope the garbage collector frees them, as before.
        PointerScope outer = PointerScope.getInnerScope();
        for (int i = 0; i < config.layers; i++) {
            if (outer == null) {
                x = block(i, x, mask, prepared, cache);
                continue;
            }
            Tensor in = x;
            try (PointerScope layer = new PointerScope()) {
                x = block(i, in, mask, prepared, cache);
                outer.attach(x);
            }
            outer.detach(in); // the layer's input is no longer needed (autograd holds its own reference)
        }
        if (cache != null) cache.advance(t);
        Tensor out = finalNorm(x);
        if (outer != null) outer.detach(x);
        return out;
    }

    /**
     * [B, 1, T, past+T] boolean: query i may see key j when j ≤ past+i and key j is not padding.
     * Each query always sees itself, so a padding row never softmaxes over nothing (NaN).
     */
    static Tensor attentionMask(Tensor keyMask, int t, int past) {
        var device = keyMask.device();
        var longs = Torch.options(torch.ScalarType.Long, device);
        long lk = keyMask.size(1);
        Tensor q = torch.arange(new Scalar(past), new Scalar(past + t), longs).unsqueeze(1);
        Tensor k = torch.arange(new Scalar(0), new Scalar(lk), longs).unsqueeze(0);
        Tensor causal = k.le(q);
        Tensor self = k.eq(q);
        Tensor visible = keyMask.unsqueeze(1).unsqueeze(1).logical_or(self.unsqueeze(0).unsqueeze(0));
        return visible.logical_and(causal.unsqueeze(0).unsqueeze(0));
    }

    /**
     * Scaled dot-product attention of q [B,H,T,D] over k, v [B,Hkv,L,D] (grouped heads allowed),
     * with dropout {@code dropoutP} on the attention probabilities (HF's attn_pdrop /
     * attention_dropout: softmax, then dropout, then ·V).
     */
    protected static Tensor attend(Tensor q, Tensor k, Tensor v, Tensor mask, double scale, double dropoutP) {
        boolean grouped = q.size(1) != k.size(1);
        if (q.size(2) == 1 && dropoutP == 0 && !q.requires_grad() && Torch.dtype(q) == torch.ScalarType.Float) {
            // decoding: one query per row over the cache (LibTorch's SDPA makes two tiny BLAS calls per row and head)
            return DecodeAttention.applies(q, k) ? DecodeAttention.attend(q, k, v, mask, scale)
                    : DecodeAttention.reference(q, k, v, mask, scale);
        }
        Tensor out = torch.scaled_dot_product_attention(q, k, v, new TensorOptional(mask), dropoutP, false,
                new DoubleOptional(scale), grouped);
        long b = q.size(0), h = q.size(1), t = q.size(2), d = q.size(3);
        return out.transpose(1, 2).reshape(b, t, h * d);
    }

    protected Tensor w(String name) {
        return weights.get(prefix + name);
    }

    protected Tensor optional(String name) {
        return weights.get(prefix + name);
    }

    private void check(Path file) {
        for (Map.Entry<String, long[]> e : expectedShapes().entrySet()) {
            Tensor t = weights.get(prefix + e.getKey());
            if (t == null) {
                throw new UserError(file + ": tensor '" + prefix + e.getKey() + "' missing (config "
                        + config.file + " describes a " + config.modelType + " model with " + config.layers + " layers)");
            }
            if (!t.is_floating_point()) {
                throw new UserError(file + ": tensor '" + prefix + e.getKey() + "' has dtype "
                        + SafeTensors.dtypeName(Torch.dtype(t)) + "; weights are floating point (F32, BF16, F16, F64)");
            }
            long[] shape = Torch.shape(t);
            if (!Arrays.equals(shape, e.getValue())) {
                throw new UserError(file + ": tensor '" + prefix + e.getKey() + "' has shape "
                        + Arrays.toString(shape) + ", expected " + Arrays.toString(e.getValue()) + " from " + config.file);
            }
        }
    }

    /** The body's weights in load order (for optimisers). */
    public List<Tensor> parameters() {
        List<Tensor> out = new ArrayList<>();
        for (String name : expectedShapes().keySet()) out.add(weights.get(prefix + name));
        for (Map.Entry<String, Tensor> e : weights.entrySet()) {
            if (e.getKey().startsWith(prefix) && !expectedShapes().containsKey(e.getKey().substring(prefix.length()))
                    && e.getValue().is_floating_point()) {
                out.add(e.getValue()); // optional tensors such as Qwen2's q/k/v biases
            }
        }
        return out;
    }

    protected static Map<String, long[]> shapes() {
        return new LinkedHashMap<>();
    }
}
