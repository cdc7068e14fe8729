package dev.raftj.model;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.raftj.core.UserError;
import dev.raftj.data.Shuffle;
import dev.raftj.torch.Torch;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * PPO's critic: a transformer body and a scalar head {@code score.weight} [1, d] (+ optional
 * {@code score.bias}) read at every position, V(s_t) = w·h_t (+ b). It starts from a reward model
 * (HF *ForSequenceClassification, num_labels 1: body and head as trained) or from a causal LM (its
 * body and a fresh head drawn from N(0, initializer_range²) with a given seed), and is saved as a
 * *ForSequenceClassification folder, so a saved critic loads back, here or in transformers.
 */
public final class ValueModel {
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    private final Checkpoint checkpoint;
    private final Map<String, Tensor> weights;
    private final Backbone backbone;
    private final Tensor head;     // [1, d]
    private final Tensor bias;     // [1] or null
    private final boolean freshHead;

    private ValueModel(Checkpoint checkpoint, long seed) {
        this.checkpoint = checkpoint;
        ModelConfig c = checkpoint.config;
        Path weightsFile = checkpoint.dir.resolve(SafeTensors.SINGLE);
        this.weights = new LinkedHashMap<>(checkpoint.weights);
        weights.remove("lm_head.weight"); // a causal LM's vocabulary head has no use here
        this.backbone = Backbone.create(c, weights, weightsFile);
        Tensor w = weights.get("score.weight");
        this.freshHead = w == null;
        if (w == null) {
            if (c.sequenceClassification) throw new UserError(weightsFile + ": tensor 'score.weight' missing");
            w = gaussian(c.hidden, c.raw.path("initializer_range").asDouble(0.02), seed).to(backbone.tokenEmbedding().device(),
                    ScalarType.Float);
            weights.put("score.weight", w);
        } else if (c.numLabels != 1 || w.dim() != 2 || w.size(0) != 1 || w.size(1) != c.hidden) {
            throw new UserError(weightsFile + ": tensor 'score.weight' has shape " + java.util.Arrays.toString(Torch.shape(w))
                    + ", expected [1, " + c.hidden + "] (a value head reads one number per position)");
        }
        this.head = w;
        this.bias = weights.get("score.bias");
    }

    /**
     * The critic in {@code dir}: a reward model or a saved critic (*ForSequenceClassification),
     * or a causal LM whose head is replaced by a fresh value head drawn with {@code seed}.
     */
    public static ValueModel load(Path dir, Device device, long seed) {
        Torch.ensureInit();
        return new ValueModel(Checkpoint.load(dir, device, ScalarType.Float), seed);
    }

    public ModelConfig config() {
        return checkpoint.config;
    }

    /** True when the head was drawn afresh (the critic started from a causal LM). */
    public boolean freshHead() {
        return freshHead;
    }

    /** Values [B, T] of a padded batch [B, T], one per position (positions from the mask). */
    public Tensor values(Tensor ids, Tensor keyMask) {
        Tensor hidden = backbone.forward(ids, Positions.fromMask(keyMask), keyMask, null);
        Tensor v = torch.linear(hidden, head).squeeze(2);
        return bias == null ? v : v.add(bias);
    }

    /** The body's parameters, then the head's. */
    public List<Tensor> parameters() {
        List<Tensor> p = new ArrayList<>(backbone.parameters());
        p.add(head);
        if (bias != null) p.add(bias);
        return p;
    }

    /** Writes an HF *ForSequenceClassification folder (num_labels 1) holding body and head. */
    public void save(Path dir) {
        Map<String, ScalarType> stored = new LinkedHashMap<>(checkpoint.storedDtypes);
        stored.putIfAbsent("score.weight", ScalarType.Float);
        Checkpoint.save(dir, checkpoint.config, weights, stored, checkpoint.dir);
        ObjectNode raw = checkpoint.config.raw.deepCopy();
        String arch = raw.path("architectures").path(0).asText(checkpoint.config.family == ModelConfig.Family.GPT2
                ? "GPT2LMHeadModel" : "LlamaForCausalLM");
        raw.putArray("architectures").add(arch.replaceFirst("(LMHeadModel|ForCausalLM|ForSequenceClassification)$", "")
                + "ForSequenceClassification");
        raw.putObject("id2label").put("0", "LABEL_0");
        raw.putObject("label2id").put("LABEL_0", 0);
        raw.remove("num_labels");
        Path file = dir.resolve("config.json"), tmp = dir.resolve("config.json.tmp");
        try {
            Files.writeString(tmp, JSON.writeValueAsString(raw) + "\n");
            Files.move(tmp, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                    java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UserError(file + ": cannot write: " + e.getMessage(), e);
        }
    }

    /** A [1, d] float tensor of N(0, std²) draws from a SplitMix64 stream (Box–Muller): the same for a seed everywhere. */
    static Tensor gaussian(int d, double std, long seed) {
        Shuffle.SplitMix64 rng = new Shuffle.SplitMix64(seed);
        float[] w = new float[d];
        for (int i = 0; i < d; i++) {
            double u1 = ((rng.nextLong() >>> 11) + 1) * 0x1.0p-53, u2 = (rng.nextLong() >>> 11) * 0x1.0p-53;
            w[i] = (float) (std * Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2));
        }
        return Torch.floats(w, 1, d);
    }
}
