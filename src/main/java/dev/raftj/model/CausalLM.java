package dev.raftj.model;

import dev.raftj.torch.Torch;
import dev.raftj.core.UserError;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;

/** A causal language model (HF *LMHeadModel / *ForCausalLM): backbone + vocabulary head. */
public final class CausalLM implements AdaptableModel {
    private final Checkpoint checkpoint;
    private final Backbone backbone;
    private final Tensor head; // [V, d]; the token embedding when tied

    private CausalLM(Checkpoint checkpoint) {
        this.checkpoint = checkpoint;
        ModelConfig c = checkpoint.config;
        if (c.sequenceClassification) {
            throw UserError.field(c.file, "architectures", "is a sequence-classification (reward) model, not a causal LM");
        }
        Path weightsFile = checkpoint.dir.resolve(SafeTensors.SINGLE);
        this.backbone = Backbone.create(c, checkpoint.weights, weightsFile);
        Tensor lmHead = checkpoint.weights.get("lm_head.weight");
        if (lmHead == null && !c.tieEmbeddings) {
            throw new UserError(weightsFile + ": tensor 'lm_head.weight' missing and " + c.file
                    + " sets tie_word_embeddings false");
        }
        this.head = lmHead != null ? lmHead : backbone.tokenEmbedding();
        // Tied: the embedding's gradient rows join the head's dense gradient (no second [V, d] temporary).
        backbone.sparseTokenGradient(lmHead == null);
        if (!head.is_floating_point() || head.dim() != 2 || head.size(0) != c.vocabSize || head.size(1) != c.hidden) {
            throw new UserError(weightsFile + ": tensor 'lm_head.weight' has shape " + java.util.Arrays.toString(Torch.shape(head))
                    + (head.is_floating_point() ? "" : " of dtype " + SafeTensors.dtypeName(Torch.dtype(head)))
                    + ", expected [" + c.vocabSize + ", " + c.hidden + "] floating point (vocab_size, hidden size of " + c.file + ")");
        }
    }

    public static CausalLM load(Path dir) {
        return load(dir, new Device("cpu"), ScalarType.Float);
    }

    public static CausalLM load(Path dir, Device device, ScalarType dtype) {
        Torch.ensureInit();
        return new CausalLM(Checkpoint.load(dir, device, dtype));
    }

    public ModelConfig config() {
        return checkpoint.config;
    }

    public Path dir() {
        return checkpoint.dir;
    }

    public Device device() {
        return head.device();
    }

    public ScalarType dtype() {
        return Torch.dtype(head);
    }

    /** Options for activations and caches: the weights' dtype and device. */
    public TensorOptions options() {
        return Torch.options(Torch.dtype(head), head.device());
    }

    /**
     * Training mode applies the checkpoint's dropout (see {@link ModelConfig#embdDropout}) with
     * LibTorch's default generator; eval mode, the default, applies none. Generation, scoring and
     * evaluation run in eval mode; {@code SftStep} switches training mode on for its
     * forward and backward only.
     */
    public void setTraining(boolean training) {
        backbone.setTraining(training);
    }

    public boolean isTraining() {
        return backbone.isTraining();
    }

    /**
     * Sets every dropout probability of this model (GPT-2: embedding, attention, residual;
     * Llama/Qwen2: attention) to {@code p}, for training mode. config.json is left as it was.
     *
     * @throws IllegalArgumentException unless 0 ≤ p < 1
     */
    public void overrideDropout(double p) {
        backbone.overrideDropout(p);
    }

    /** True when training mode would drop anything (some probability is positive). */
    public boolean hasDropout() {
        return backbone.hasDropout();
    }

    /** The body (tests set its token-gradient mode). */
    Backbone backbone() {
        return backbone;
    }

    /** Final hidden states [B, T, d]; see {@link Backbone#forward}. */
    public Tensor hidden(Tensor ids, Tensor positions, Tensor keyMask, KvCache cache) {
        return backbone.forward(ids, positions, keyMask, cache);
    }

    /** Logits [B, T, V]. */
    public Tensor logits(Tensor ids, Tensor positions, Tensor keyMask, KvCache cache) {
        return torch.linear(hidden(ids, positions, keyMask, cache), head);
    }

    /** The vocabulary head on hidden states [..., d]: logits [..., V]. */
    public Tensor head(Tensor hidden) {
        return torch.linear(hidden, head);
    }

    /** The vocabulary head's weight [V, d]: the token embedding when tied. */
    public Tensor headWeight() {
        return head;
    }

    /**
     * Logits [B, V] of the last position only (generation's prefill with left-padded prompts):
     * the head runs on B rows instead of B·T.
     */
    public Tensor lastLogits(Tensor ids, Tensor positions, Tensor keyMask, KvCache cache) {
        Tensor h = hidden(ids, positions, keyMask, cache);
        return head(h.select(1, h.size(1) - 1));
    }

    /** Logits [B, T, V] for a padded batch, positions from the mask (cumulative sum − 1). */
    public Tensor logits(Tensor ids, Tensor keyMask) {
        return logits(ids, Positions.fromMask(keyMask), keyMask, null);
    }

    public KvCache newCache(long batch, int capacity) {
        return new KvCache(config(), batch, capacity, options());
    }

    /**
     * Wraps the block projections with {@code adapter} (LoRA): the base weights stay frozen and
     * only the adapter trains ({@link #trainableParameters}). Null detaches it.
     */
    @Override
    public void attach(ProjectionAdapter adapter) {
        backbone.setAdapter(adapter);
    }

    /** The attached adapter, or null. */
    public ProjectionAdapter adapter() {
        return backbone.adapter();
    }

    /**
     * The same base weights (shared, not copied) with no adapter: with LoRA this is the frozen
     * initial policy π0, so a run needs no second copy of the weights for its reference.
     */
    public CausalLM withoutAdapter() {
        return new CausalLM(checkpoint);
    }

    @Override
    public List<Projection> projections() {
        return backbone.projections();
    }

    /** What an optimizer updates: the adapter's tensors when one is attached, else every weight. */
    public List<Tensor> trainableParameters() {
        ProjectionAdapter a = backbone.adapter();
        return a != null ? a.parameters() : parameters();
    }

    /** Every weight of the base model (the tied head is the embedding, listed once). */
    public List<Tensor> parameters() {
        List<Tensor> p = new ArrayList<>(backbone.parameters());
        Tensor lmHead = checkpoint.weights.get("lm_head.weight");
        if (lmHead != null) p.add(lmHead);
        return p;
    }

    /**
     * Turns gradient tracking on or off for the trainable parameters; with an adapter attached the
     * base weights never track gradients (no gradient buffers for them).
     */
    public void trainable(boolean on) {
        boolean adapted = backbone.adapter() != null;
        for (Tensor t : parameters()) t.set_requires_grad(on && !adapted);
        if (adapted) for (Tensor t : trainableParameters()) t.set_requires_grad(on);
    }

    /** Writes an HF-format folder loadable by transformers (same names, shapes, dtypes, config). */
    public void save(Path dir) {
        Checkpoint.save(dir, checkpoint.config, checkpoint.weights, checkpoint.storedDtypes, checkpoint.dir);
    }

    /** As {@link #save}, with {@code weights} (same names) written in place of this model's (a merged adapter). */
    public void saveWith(Path dir, Map<String, Tensor> weights) {
        Checkpoint.save(dir, checkpoint.config, weights, checkpoint.storedDtypes, checkpoint.dir);
    }

    /** The weights under their HF names (live tensors: changes show in the model). */
    public Map<String, Tensor> weights() {
        return checkpoint.weights;
    }
}
