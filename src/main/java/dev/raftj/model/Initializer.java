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
        return gpt2Weights(gen, INITIALIZER_RANGE, spec.vocabSize(), spec.positions(), spec.layers(), spec.hidden(),
                spec.inner());
    }

    /** GPT-2's weights in HF's order: N(0, std), residual projections N(0, std/√(2·layers)), LayerNorm 1/0. */
    private static Map<String, Tensor> gpt2Weights(Generator gen, double std, long vocab, long positions, int layers,
                                                   long d, long inner) {
        double projStd = std / Math.sqrt(2.0 * layers);
        Map<String, Tensor> w = new LinkedHashMap<>();
        String t = "transformer.";
        w.put(t + "wte.weight", normal(gen, std, vocab, d));
        w.put(t + "wpe.weight", normal(gen, std, positions, d));
        for (int i = 0; i < layers; i++) {
            String p = t + "h." + i + ".";
            w.put(p + "ln_1.weight", ones(d));
            w.put(p + "ln_1.bias", zeros(d));
            w.put(p + "attn.c_attn.weight", normal(gen, std, d, 3 * d));
            w.put(p + "attn.c_attn.bias", zeros(3 * d));
            w.put(p + "attn.c_proj.weight", normal(gen, projStd, d, d));
            w.put(p + "attn.c_proj.bias", zeros(d));
            w.put(p + "ln_2.weight", ones(d));
            w.put(p + "ln_2.bias", zeros(d));
            w.put(p + "mlp.c_fc.weight", normal(gen, std, d, inner));
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

    /**
     * The weights of a new model described by a Hugging Face config (GPT-2, Llama, Qwen2; causal LM
     * or sequence classification), under HF's names, drawn in a fixed order from one seeded CPU
     * generator. GPT-2 draws exactly as {@link #gpt2Weights(Gpt2Spec, long)} (same config, same
     * bytes), then an untied {@code lm_head.weight} or a {@code score.weight}. Llama/Qwen2 follow
     * HF's {@code _init_weights}: linear and embedding weights N(0, initializer_range²), the
     * embedding row of {@code pad_token_id} zero, biases 0 (Qwen2's q/k/v biases; Llama's when
     * {@code attention_bias} / {@code mlp_bias}), RMSNorm weights 1. Float32; {@code dtype} (or
     * {@code torch_dtype}) bfloat16 / float16 in the config stores that dtype instead.
     */
    public static Map<String, Tensor> weights(ModelConfig c, long seed) {
        double std = c.raw.path("initializer_range").asDouble(INITIALIZER_RANGE);
        if (!(std > 0 && std < 10)) throw UserError.field(c.file, "initializer_range", "must lie in (0, 10), got " + std);
        Generator gen = torch.createCPUGenerator(seed);
        try {
            Map<String, Tensor> w = c.family == ModelConfig.Family.GPT2 ? gpt2Weights(c, gen, std) : llamaWeights(c, gen, std);
            if (c.sequenceClassification) {
                w.put("score.weight", normal(gen, std, c.numLabels, c.hidden));
            } else if (!c.tieEmbeddings) {
                w.put("lm_head.weight", normal(gen, std, c.vocabSize, c.hidden));
            }
            ScalarType dtype = storedDtype(c);
            if (dtype != ScalarType.Float) w.replaceAll((k, t) -> t.to(dtype));
            return w;
        } finally {
            gen.close();
        }
    }

    private static Map<String, Tensor> gpt2Weights(ModelConfig c, Generator gen, double std) {
        if ((long) c.heads * c.headDim != c.hidden) {
            throw UserError.field(c.file, "n_head", c.heads + " does not divide n_embd " + c.hidden);
        }
        requirePositive(c, "n_positions", c.maxPositions);
        requirePositive(c, "n_inner", c.intermediate);
        return gpt2Weights(gen, std, c.vocabSize, c.maxPositions, c.layers, c.hidden, c.intermediate);
    }

    private static Map<String, Tensor> llamaWeights(ModelConfig c, Generator gen, double std) {
        requirePositive(c, "max_position_embeddings", c.maxPositions);
        requirePositive(c, "intermediate_size", c.intermediate);
        requirePositive(c, "head_dim", c.headDim);
        if (c.headDim % 2 != 0) throw UserError.field(c.file, "head_dim", "must be even for RoPE, got " + c.headDim);
        boolean qwen2 = c.modelType.equals("qwen2");
        boolean attnBias = qwen2 || c.raw.path("attention_bias").asBoolean(false);
        boolean outBias = !qwen2 && c.raw.path("attention_bias").asBoolean(false);
        boolean mlpBias = c.raw.path("mlp_bias").asBoolean(false);
        long d = c.hidden, qd = (long) c.heads * c.headDim, kvd = (long) c.kvHeads * c.headDim, inner = c.intermediate;
        Map<String, Tensor> w = new LinkedHashMap<>();
        String m = "model.";
        Tensor emb = normal(gen, std, c.vocabSize, d);
        if (c.padTokenId >= 0 && c.padTokenId < c.vocabSize) emb.select(0, c.padTokenId).zero_();
        w.put(m + "embed_tokens.weight", emb);
        for (int i = 0; i < c.layers; i++) {
            String p = m + "layers." + i + ".";
            linear(w, gen, std, p + "self_attn.q_proj", qd, d, attnBias);
            linear(w, gen, std, p + "self_attn.k_proj", kvd, d, attnBias);
            linear(w, gen, std, p + "self_attn.v_proj", kvd, d, attnBias);
            linear(w, gen, std, p + "self_attn.o_proj", d, qd, outBias);
            linear(w, gen, std, p + "mlp.gate_proj", inner, d, mlpBias);
            linear(w, gen, std, p + "mlp.up_proj", inner, d, mlpBias);
            linear(w, gen, std, p + "mlp.down_proj", d, inner, mlpBias);
            w.put(p + "input_layernorm.weight", ones(d));
            w.put(p + "post_attention_layernorm.weight", ones(d));
        }
        w.put(m + "norm.weight", ones(d));
        return w;
    }

    private static void linear(Map<String, Tensor> w, Generator gen, double std, String name, long out, long in,
                               boolean bias) {
        w.put(name + ".weight", normal(gen, std, out, in));
        if (bias) w.put(name + ".bias", zeros(out));
    }

    private static void requirePositive(ModelConfig c, String field, long v) {
        if (v <= 0) throw UserError.field(c.file, field, "must be positive, got " + v);
    }

    private static ScalarType storedDtype(ModelConfig c) {
        String field = c.raw.has("dtype") ? "dtype" : "torch_dtype";
        var n = c.raw.get(field);
        if (n == null || n.isNull()) return ScalarType.Float;
        return switch (n.asText()) {
            case "float32" -> ScalarType.Float;
            case "bfloat16" -> ScalarType.BFloat16;
            case "float16" -> ScalarType.Half;
            default -> throw UserError.field(c.file, field, "expected float32, bfloat16 or float16, got " + n);
        };
    }

    /**
     * Writes a new seeded checkpoint folder {@code out} (which must not exist, or be empty) as
     * {@code save_pretrained} would lay it out: config.json (the given config, with a default
     * {@code architectures} when it names none), generation_config.json (bos/eos/pad of the config),
     * model.safetensors ({@link #weights(ModelConfig, long)}) and the tokenizer files of
     * {@code tokenizerDir} (tokenizer.json required). Everything is written to a sibling temp
     * folder, which is then renamed: the folder appears whole or not at all.
     *
     * @return the number of parameters written
     */
    public static long checkpoint(ModelConfig config, Path tokenizerDir, long seed, Path out) {
        Path tokenizerJson = tokenizerDir.resolve("tokenizer.json");
        if (!Files.isRegularFile(tokenizerJson)) {
            throw new UserError(tokenizerJson + ": file not found (--tokenizer names a folder holding tokenizer.json)");
        }
        int tokenizerVocab = dev.raftj.data.BpeTokenizer.load(tokenizerJson).vocabSize();
        if (tokenizerVocab > config.vocabSize) {
            throw UserError.field(config.file, "vocab_size", config.vocabSize + " is smaller than the "
                    + tokenizerVocab + " ids of " + tokenizerJson);
        }
        for (String f : new String[] {"bos_token_id", "eos_token_id", "pad_token_id"}) {
            var n = config.raw.get(f);
            if (n == null || n.isNull()) continue;
            for (var id : n.isArray() ? n : java.util.List.of(n)) {
                if (!id.canConvertToInt() || id.asInt() < 0 || id.asInt() >= config.vocabSize) {
                    throw UserError.field(config.file, f, "id " + id + " outside the vocabulary of " + config.vocabSize);
                }
            }
        }
        Path abs = out.toAbsolutePath().normalize();
        try {
            if (Files.exists(abs)) {
                if (!Files.isDirectory(abs)) throw new UserError(out + ": exists and is not a folder");
                try (var s = Files.list(abs)) {
                    if (s.findAny().isPresent()) throw new UserError(out + ": folder is not empty (init writes a new checkpoint)");
                }
            }
            Files.createDirectories(abs.getParent());
        } catch (IOException e) {
            throw new UserError(out + ": cannot create folder: " + e.getMessage(), e);
        }
        Path tmp = abs.resolveSibling(abs.getFileName() + ".tmp-" + ProcessHandle.current().pid());
        long params = 0;
        try {
            Checkpoint.deleteTree(tmp);
            Files.createDirectories(tmp);
            try (PointerScope scope = new PointerScope()) {
                Map<String, Tensor> w = weights(config, seed);
                for (Tensor t : w.values()) params += t.numel();
                SafeTensors.write(tmp.resolve(SafeTensors.SINGLE), w, Map.of("format", "pt"));
            }
            ObjectNode cfg = config.raw.deepCopy();
            if (!cfg.has("architectures")) {
                cfg.putArray("architectures").add(switch (config.modelType) {
                    case "gpt2" -> "GPT2LMHeadModel";
                    case "qwen2" -> "Qwen2ForCausalLM";
                    default -> "LlamaForCausalLM";
                });
            }
            writeJson(tmp.resolve("config.json"), cfg);
            if (!config.sequenceClassification) {
                ObjectNode g = JSON.createObjectNode();
                g.put("_from_model_config", true);
                for (String f : new String[] {"bos_token_id", "eos_token_id", "pad_token_id"}) {
                    if (config.raw.hasNonNull(f)) g.set(f, config.raw.get(f));
                }
                writeJson(tmp.resolve("generation_config.json"), g);
            }
            for (String f : new String[] {"tokenizer.json", "tokenizer_config.json", "special_tokens_map.json",
                    "vocab.json", "merges.txt"}) {
                Path src = tokenizerDir.resolve(f);
                if (Files.isRegularFile(src)) Files.copy(src, tmp.resolve(f));
            }
            if (Files.exists(abs)) Files.delete(abs); // empty, checked above
            Files.move(tmp, abs, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UserError(out + ": cannot write checkpoint: " + e.getMessage(), e);
        } finally {
            try {
                Checkpoint.deleteTree(tmp);
            } catch (IOException ignored) {
                // best effort: a leftover temp folder is named after this process
            }
        }
        return params;
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
