package dev.raftj.model;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.raftj.core.UserError;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Generator;
import org.bytedeco.pytorch.GeneratorOptional;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * Freshly initialised Hugging Face checkpoints, for raftj's built-in tiny models.
 *
 * <p>{@link #gpt2} writes what {@code GPT2LMHeadModel(GPT2Config(...)).save_pretrained(dir)} would:
 * config.json, generation_config.json and model.safetensors with the {@code transformer.*} names
 * (tied head, so no {@code lm_head.weight}). The values follow GPT-2's initialisation: embeddings
 * and Conv1D weights N(0, 0.02²), biases 0, LayerNorm weight 1 and bias 0, and the residual
 * projections ({@code attn.c_proj}, {@code mlp.c_proj}) N(0, (0.02/√(2·n_layer))²). Draws come
 * from one seeded LibTorch CPU generator in a fixed order, so a seed gives the same bytes every
 * time (on any machine: the CPU generator is a Mersenne Twister, not a BLAS routine).
 */
public final class Initializer {
    /** GPT-2's {@code initializer_range}. */
    public static final double INITIALIZER_RANGE = 0.02;

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private Initializer() {}

    /**
     * The sizes of a GPT-2 model and its special token ids.
     *
     * @param positions the context length ({@code n_positions})
     */
    public record Gpt2Spec(int vocabSize, int hidden, int layers, int heads, int positions,
                           int bosId, int eosId, int padId) {
        public Gpt2Spec {
            if (vocabSize < 1 || hidden < 1 || layers < 1 || heads < 1 || positions < 1) {
                throw new IllegalArgumentException("GPT-2 sizes must be positive: " + this);
            }
            if (hidden % heads != 0) {
                throw new IllegalArgumentException("n_head " + heads + " does not divide n_embd " + hidden);
            }
            for (int id : new int[] {bosId, eosId, padId}) {
                if (id < 0 || id >= vocabSize) {
                    throw new IllegalArgumentException("special token id " + id + " outside the vocabulary of " + vocabSize);
                }
            }
        }

        public int inner() {
            return 4 * hidden;
        }

        /** Number of parameters (the tied head counted once). */
        public long parameterCount() {
            long d = hidden;
            long perLayer = 4 * d + (d * 3 * d + 3 * d) + (d * d + d) + (d * inner() + inner()) + (inner() * d + d);
            return (long) vocabSize * d + (long) positions * d + layers * perLayer + 2 * d;
        }
    }

    /**
     * Writes config.json, generation_config.json and model.safetensors of a new GPT-2 into {@code dir}
     * (created if missing; other files there, such as tokenizer.json, are left alone). Each file is
     * written to a temp file and renamed.
     */
    public static void gpt2(Path dir, Gpt2Spec spec, long seed) {
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new UserError(dir + ": cannot create folder: " + e.getMessage(), e);
        }
        try (PointerScope scope = new PointerScope()) {
            SafeTensors.write(dir.resolve(SafeTensors.SINGLE), gpt2Weights(spec, seed), Map.of("format", "pt"));
        }
        writeJson(dir.resolve("config.json"), gpt2Config(spec));
        writeJson(dir.resolve("generation_config.json"), generationConfig(spec));
    }

    /**
     * Writes config.json and model.safetensors of a new {@code GPT2ForSequenceClassification} with
     * num_labels = 1 (a reward model) into {@code dir}, as {@code save_pretrained} would: the body
     * under {@code transformer.*} exactly as {@link #gpt2} draws it for the same seed, then the head
     * {@code score.weight} [1, d] ~ N(0, 0.02²) (no bias) from the same generator; the config names
     * the architecture, {@code id2label}/{@code label2id} of one label and the pad token. No
     * generation_config.json (a classifier does not generate). Other files in {@code dir} are left alone.
     */
    public static void gpt2SequenceClassification(Path dir, Gpt2Spec spec, long seed) {
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new UserError(dir + ": cannot create folder: " + e.getMessage(), e);
        }
        try (PointerScope scope = new PointerScope()) {
            Generator gen = torch.createCPUGenerator(seed);
            try {
                Map<String, Tensor> w = gpt2Weights(spec, gen);
                w.put("score.weight", normal(gen, INITIALIZER_RANGE, 1, spec.hidden()));
                SafeTensors.write(dir.resolve(SafeTensors.SINGLE), w, Map.of("format", "pt"));
            } finally {
                gen.close();
            }
        }
        writeJson(dir.resolve("config.json"), gpt2SequenceClassificationConfig(spec));
    }

    /** config.json as transformers writes it for {@code GPT2ForSequenceClassification} with num_labels = 1. */
    public static ObjectNode gpt2SequenceClassificationConfig(Gpt2Spec spec) {
        ObjectNode base = gpt2Config(spec);
        base.putArray("architectures").add("GPT2ForSequenceClassification");
        base.putObject("id2label").put("0", "LABEL_0");
        base.putObject("label2id").put("LABEL_0", 0);
        ObjectNode sorted = JSON.createObjectNode();
        java.util.List<String> keys = new java.util.ArrayList<>();
        base.fieldNames().forEachRemaining(keys::add);
        java.util.Collections.sort(keys);
        for (String k : keys) sorted.set(k, base.get(k));
        return sorted;
    }

    /** The weights under their HF names (float32, CPU), drawn in a fixed order from one seeded generator. */
    public static Map<String, Tensor> gpt2Weights(Gpt2Spec spec, long seed) {
        Generator gen = torch.createCPUGenerator(seed);
        try {
            return gpt2Weights(spec, gen);
        } finally {
            gen.close();
        }
    }

    private static Map<String, Tensor> gpt2Weights(Gpt2Spec spec, Generator gen) {
        long d = spec.hidden(), inner = spec.inner();
        double projStd = INITIALIZER_RANGE / Math.sqrt(2.0 * spec.layers());
        Map<String, Tensor> w = new LinkedHashMap<>();
        String t = "transformer.";
        w.put(t + "wte.weight", normal(gen, INITIALIZER_RANGE, spec.vocabSize(), d));
        w.put(t + "wpe.weight", normal(gen, INITIALIZER_RANGE, spec.positions(), d));
        for (int i = 0; i < spec.layers(); i++) {
            String p = t + "h." + i + ".";
            w.put(p + "ln_1.weight", ones(d));
            w.put(p + "ln_1.bias", zeros(d));
            w.put(p + "attn.c_attn.weight", normal(gen, INITIALIZER_RANGE, d, 3 * d));
            w.put(p + "attn.c_attn.bias", zeros(3 * d));
            w.put(p + "attn.c_proj.weight", normal(gen, projStd, d, d));
            w.put(p + "attn.c_proj.bias", zeros(d));
            w.put(p + "ln_2.weight", ones(d));
            w.put(p + "ln_2.bias", zeros(d));
            w.put(p + "mlp.c_fc.weight", normal(gen, INITIALIZER_RANGE, d, inner));
            w.put(p + "mlp.c_fc.bias", zeros(inner));
            w.put(p + "mlp.c_proj.weight", normal(gen, projStd, inner, d));
            w.put(p + "mlp.c_proj.bias", zeros(d));
        }
        w.put(t + "ln_f.weight", ones(d));
        w.put(t + "ln_f.bias", zeros(d));
        return w;
    }

    /**
     * config.json as transformers writes it for {@code GPT2LMHeadModel} (keys sorted, as HF does),
     * with dropout 0: the built-in task models are trained without it (at this size it only slows
     * learning), and fine-tuning applies what the config says.
     */
    public static ObjectNode gpt2Config(Gpt2Spec spec) {
        ObjectNode c = JSON.createObjectNode();
        c.put("activation_function", "gelu_new");
        c.put("add_cross_attention", false);
        c.putArray("architectures").add("GPT2LMHeadModel");
        c.put("attn_pdrop", 0.0);
        c.put("bos_token_id", spec.bosId());
        c.put("dtype", "float32");
        c.put("embd_pdrop", 0.0);
        c.put("eos_token_id", spec.eosId());
        c.put("initializer_range", INITIALIZER_RANGE);
        c.put("layer_norm_epsilon", 1e-5);
        c.put("model_type", "gpt2");
        c.put("n_embd", spec.hidden());
        c.put("n_head", spec.heads());
        c.putNull("n_inner");
        c.put("n_layer", spec.layers());
        c.put("n_positions", spec.positions());
        c.put("pad_token_id", spec.padId());
        c.put("reorder_and_upcast_attn", false);
        c.put("resid_pdrop", 0.0);
        c.put("scale_attn_by_inverse_layer_idx", false);
        c.put("scale_attn_weights", true);
        c.putNull("summary_activation");
        c.put("summary_first_dropout", 0.0);
        c.put("summary_proj_to_labels", true);
        c.put("summary_type", "cls_index");
        c.put("summary_use_proj", true);
        c.put("tie_word_embeddings", true);
        c.put("use_cache", true);
        c.put("vocab_size", spec.vocabSize());
        return c;
    }

    /** generation_config.json as transformers derives it from the model config. */
    public static ObjectNode generationConfig(Gpt2Spec spec) {
        ObjectNode g = JSON.createObjectNode();
        g.put("_from_model_config", true);
        g.put("bos_token_id", spec.bosId());
        g.put("eos_token_id", spec.eosId());
        g.put("pad_token_id", spec.padId());
        return g;
    }

    private static Tensor normal(Generator gen, double std, long... shape) {
        return torch.randn(shape, new GeneratorOptional(gen), new TensorOptions(ScalarType.Float))
                .mul(new Scalar(std));
    }

    private static Tensor ones(long n) {
        return torch.ones(new long[] {n}, new TensorOptions(ScalarType.Float));
    }

    private static Tensor zeros(long n) {
        return torch.zeros(new long[] {n}, new TensorOptions(ScalarType.Float));
    }

    private static void writeJson(Path file, ObjectNode node) {
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        try {
            Files.writeString(tmp, JSON.writeValueAsString(node) + "\n");
        } catch (IOException e) {
            throw new UserError(file + ": cannot write: " + e.getMessage(), e);
        }
        SafeTensors.moveAtomically(tmp, file);
    }
}
