package dev.raftj.model;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.raftj.core.UserError;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A Hugging Face {@code config.json}, read into the fields raftj's transformers need. The raw JSON
 * is kept so that saving writes back every field the user's tools expect.
 */
public final class ModelConfig {
    /** The two families raftj implements; Qwen2 and Mistral-free Llama variants use LLAMA. */
    public enum Family { GPT2, LLAMA }

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    public final Path file;
    public final ObjectNode raw;
    public final String modelType;
    public final Family family;
    /** True for *ForSequenceClassification (reward models). */
    public final boolean sequenceClassification;
    public final int numLabels;
    public final int vocabSize, hidden, layers, heads, kvHeads, headDim, intermediate, maxPositions;
    public final double normEps;
    public final boolean tieEmbeddings;
    public final int padTokenId;        // -1 when the config names none
    public final int[] eosTokenIds;     // may be empty
    public final String activation;
    public final Rope rope;             // null for GPT-2
    public final boolean scaleAttnByInverseLayerIdx;
    /**
     * Training-time dropout probabilities, where HF applies them. GPT-2: {@code embd_pdrop} after
     * token + position embedding, {@code attn_pdrop} on attention probabilities, {@code resid_pdrop}
     * after the attention output projection and after the MLP (each 0.1 when absent, as HF).
     * Llama/Qwen2: {@code attention_dropout} on attention probabilities (0.0 when absent); their
     * embedding and residual dropout are 0.
     */
    public final double embdDropout, attnDropout, residDropout;

    /** RoPE parameters: theta and, for Llama 3.x checkpoints, the "llama3" frequency scaling. */
    public record Rope(double theta, String type, double factor, double lowFreqFactor, double highFreqFactor,
                       int originalMaxPositions) {}

    private ModelConfig(Path file, ObjectNode raw) {
        this.file = file;
        this.raw = raw;
        this.modelType = requireText("model_type");
        this.family = switch (modelType) {
            case "gpt2" -> Family.GPT2;
            case "llama", "qwen2" -> Family.LLAMA;
            default -> throw UserError.field(file, "model_type",
                    "unknown model_type '" + modelType + "' (raftj reads gpt2, llama, qwen2)");
        };
        String arch = raw.path("architectures").path(0).asText("");
        this.sequenceClassification = arch.endsWith("ForSequenceClassification");
        this.numLabels = raw.has("id2label") ? raw.get("id2label").size() : raw.path("num_labels").asInt(sequenceClassification ? 1 : 2);
        this.tieEmbeddings = raw.path("tie_word_embeddings").asBoolean(family == Family.GPT2);
        this.padTokenId = raw.path("pad_token_id").isNumber() ? raw.get("pad_token_id").asInt() : -1;
        this.eosTokenIds = intsOf(raw.path("eos_token_id"));
        if (family == Family.GPT2) {
            vocabSize = requireInt("vocab_size");
            hidden = requireInt("n_embd");
            layers = requireInt("n_layer");
            heads = requireInt("n_head");
            kvHeads = heads;
            headDim = hidden / heads;
            intermediate = raw.path("n_inner").isNumber() ? raw.get("n_inner").asInt() : 4 * hidden;
            maxPositions = requireInt("n_positions");
            normEps = raw.path("layer_norm_epsilon").asDouble(1e-5);
            activation = raw.path("activation_function").asText("gelu_new");
            if (!activation.equals("gelu_new") && !activation.equals("gelu")
                    && !activation.equals("gelu_pytorch_tanh")) {
                throw UserError.field(file, "activation_function", "unsupported activation '" + activation + "'");
            }
            rope = null;
            scaleAttnByInverseLayerIdx = raw.path("scale_attn_by_inverse_layer_idx").asBoolean(false);
            embdDropout = probability("embd_pdrop", 0.1);
            attnDropout = probability("attn_pdrop", 0.1);
            residDropout = probability("resid_pdrop", 0.1);
            if (!raw.path("scale_attn_weights").asBoolean(true)) {
                throw UserError.field(file, "scale_attn_weights", "false is not supported");
            }
        } else {
            vocabSize = requireInt("vocab_size");
            hidden = requireInt("hidden_size");
            layers = requireInt("num_hidden_layers");
            heads = requireInt("num_attention_heads");
            kvHeads = raw.path("num_key_value_heads").isNumber() ? raw.get("num_key_value_heads").asInt() : heads;
            headDim = raw.path("head_dim").isNumber() ? raw.get("head_dim").asInt() : hidden / heads;
            intermediate = requireInt("intermediate_size");
            maxPositions = requireInt("max_position_embeddings");
            normEps = raw.path("rms_norm_eps").asDouble(1e-6);
            activation = raw.path("hidden_act").asText("silu");
            if (!activation.equals("silu")) {
                throw UserError.field(file, "hidden_act", "unsupported activation '" + activation + "' (raftj: silu)");
            }
            rope = readRope();
            scaleAttnByInverseLayerIdx = false;
            embdDropout = 0.0;
            attnDropout = probability("attention_dropout", 0.0);
            residDropout = 0.0;
            if (heads % kvHeads != 0) {
                throw UserError.field(file, "num_key_value_heads", kvHeads + " does not divide num_attention_heads " + heads);
            }
        }
        if (hidden <= 0 || layers <= 0 || heads <= 0 || vocabSize <= 0) {
            throw UserError.field(file, family == Family.GPT2 ? "n_embd" : "hidden_size", "sizes must be positive");
        }
    }

    /** Reads {@code dir/config.json}. */
    public static ModelConfig load(Path dir) {
        return loadFile(dir.resolve("config.json"));
    }

    /** Reads a config.json under any name (e.g. {@code benchmarks/gpt2-small.json}). */
    public static ModelConfig loadFile(Path file) {
        JsonNode node;
        try {
            node = JSON.readTree(Files.readString(file));
        } catch (NoSuchFileException e) {
            throw new UserError(file + ": file not found (a model folder holds config.json + model.safetensors)");
        } catch (JsonProcessingException e) {
            throw new UserError(file + ":" + e.getLocation().getLineNr() + ": malformed JSON: " + e.getOriginalMessage());
        } catch (IOException e) {
            throw new UserError(file + ": cannot read: " + e.getMessage());
        }
        if (!(node instanceof ObjectNode obj)) throw new UserError(file + ": expected a JSON object");
        return new ModelConfig(file, obj);
    }

    /** Writes this config (the original fields) to {@code dir/config.json}, atomically. */
    public void save(Path dir) {
        Path target = dir.resolve("config.json");
        Path tmp = dir.resolve("config.json.tmp");
        try {
            Files.writeString(tmp, JSON.writeValueAsString(raw) + "\n");
        } catch (IOException e) {
            throw new UserError(target + ": cannot write: " + e.getMessage(), e);
        }
        SafeTensors.moveAtomically(tmp, target);
    }

    private Rope readRope() {
        // Transformers 5 writes rope_parameters {rope_theta, rope_type, ...}; older files a
        // top-level rope_theta and an optional rope_scaling.
        JsonNode params = raw.has("rope_parameters") ? raw.get("rope_parameters") : raw.path("rope_scaling");
        double theta = params.path("rope_theta").asDouble(raw.path("rope_theta").asDouble(10000.0));
        String type = params.path("rope_type").asText(params.path("type").asText("default"));
        if (!type.equals("default") && !type.equals("llama3")) {
            String field = raw.has("rope_parameters") ? "rope_parameters.rope_type" : "rope_scaling.rope_type";
            throw UserError.field(file, field, "unsupported RoPE type '" + type + "' (raftj: default, llama3)");
        }
        return new Rope(theta, type, params.path("factor").asDouble(1.0),
                params.path("low_freq_factor").asDouble(1.0), params.path("high_freq_factor").asDouble(4.0),
                params.path("original_max_position_embeddings").asInt(8192));
    }

    private String requireText(String field) {
        JsonNode n = raw.get(field);
        if (n == null || n.isNull()) throw UserError.field(file, field, "missing");
        if (!n.isTextual()) throw UserError.field(file, field, "expected a string, got " + n);
        return n.asText();
    }

    private int requireInt(String field) {
        JsonNode n = raw.get(field);
        if (n == null || n.isNull()) throw UserError.field(file, field, "missing");
        if (!n.canConvertToInt() || !n.isIntegralNumber()) throw UserError.field(file, field, "expected an integer, got " + n);
        return n.asInt();
    }

    /** A dropout probability in [0, 1]; {@code fallback} when absent or null. */
    private double probability(String field, double fallback) {
        JsonNode n = raw.get(field);
        if (n == null || n.isNull()) return fallback;
        if (!n.isNumber()) throw UserError.field(file, field, "expected a number, got " + n);
        double p = n.asDouble();
        if (!(p >= 0 && p <= 1)) throw UserError.field(file, field, "a dropout probability lies in [0, 1], got " + n);
        return p;
    }

    private static int[] intsOf(JsonNode n) {
        List<Integer> ids = new ArrayList<>();
        if (n.isNumber()) ids.add(n.asInt());
        else if (n.isArray()) n.forEach(x -> ids.add(x.asInt()));
        return ids.stream().mapToInt(Integer::intValue).toArray();
    }
}
