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
        if (raw.has("id2label") && !raw.get("id2label").isObject()) {
            throw UserError.field(file, "id2label", "expected an object of id: label, got " + raw.get("id2label"));
        }
        this.numLabels = raw.has("id2label") ? raw.get("id2label").size()
                : raw.has("num_labels") ? positiveInt("num_labels") : sequenceClassification ? 1 : 2;
        this.tieEmbeddings = raw.path("tie_word_embeddings").asBoolean(family == Family.GPT2);
        if (family == Family.GPT2) {
            vocabSize = positiveInt("vocab_size");
            hidden = positiveInt("n_embd");
            layers = positiveInt("n_layer");
            heads = positiveInt("n_head");
            kvHeads = heads;
            if (hidden % heads != 0) {
                throw UserError.field(file, "n_embd", hidden + " is not divisible by n_head " + heads
                        + " (each head gets n_embd / n_head dimensions)");
            }
            headDim = hidden / heads;
            intermediate = raw.path("n_inner").isNull() || raw.path("n_inner").isMissingNode() ? 4 * hidden : positiveInt("n_inner");
            maxPositions = positiveInt("n_positions");
            normEps = epsilon("layer_norm_epsilon", 1e-5);
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
            vocabSize = positiveInt("vocab_size");
            hidden = positiveInt("hidden_size");
            layers = positiveInt("num_hidden_layers");
            heads = positiveInt("num_attention_heads");
            kvHeads = present("num_key_value_heads") ? positiveInt("num_key_value_heads") : heads;
            if (present("head_dim")) {
                headDim = positiveInt("head_dim");
            } else if (hidden % heads != 0) {
                throw UserError.field(file, "hidden_size", hidden + " is not divisible by num_attention_heads " + heads
                        + " and no head_dim is given");
            } else {
                headDim = hidden / heads;
            }
            if (headDim % 2 != 0) {
                throw UserError.field(file, present("head_dim") ? "head_dim" : "hidden_size", "the head size " + headDim
                        + " is odd; rotary embeddings rotate pairs of dimensions");
            }
            intermediate = positiveInt("intermediate_size");
            maxPositions = positiveInt("max_position_embeddings");
            normEps = epsilon("rms_norm_eps", 1e-6);
            activation = raw.path("hidden_act").asText("silu");
            if (!activation.equals("silu")) {
                throw UserError.field(file, "hidden_act", "unsupported activation '" + activation + "' (raftj: silu)");
            }
            rope = readRope();
            scaleAttnByInverseLayerIdx = false;
            embdDropout = 0.0;
            attnDropout = probability("attention_dropout", 0.0);
            residDropout = 0.0;
            if (kvHeads > heads || heads % kvHeads != 0) {
                throw UserError.field(file, "num_key_value_heads", kvHeads + " does not divide num_attention_heads " + heads);
            }
        }
        this.padTokenId = present("pad_token_id") ? tokenId("pad_token_id", raw.get("pad_token_id")) : -1;
        this.eosTokenIds = tokenIds("eos_token_id");
        tokenIds("bos_token_id"); // unused, but a bos id outside the vocabulary is as wrong as an eos one
        if (sequenceClassification && numLabels < 1) throw UserError.field(file, "num_labels", "must be >= 1, got " + numLabels);
    }

    private boolean present(String field) {
        return raw.has(field) && !raw.get(field).isNull();
    }

    /** A required integer ≥ 1. */
    private int positiveInt(String field) {
        int v = requireInt(field);
        if (v < 1) throw UserError.field(file, field, "must be >= 1, got " + v);
        return v;
    }

    /** A normalisation epsilon: a finite number > 0, {@code fallback} when absent. */
    private double epsilon(String field, double fallback) {
        if (!present(field)) return fallback;
        JsonNode n = raw.get(field);
        if (!n.isNumber() || !(n.asDouble() > 0) || !Double.isFinite(n.asDouble())) {
            throw UserError.field(file, field, "expected a finite number > 0, got " + n);
        }
        return n.asDouble();
    }

    /** A token id: an integer in [0, vocab_size). */
    private int tokenId(String field, JsonNode n) {
        if (!n.isIntegralNumber() || !n.canConvertToInt()) throw UserError.field(file, field, "expected a token id, got " + n);
        int id = n.asInt();
        if (id < 0 || id >= vocabSize) {
            throw UserError.field(file, field, id + " is outside the vocabulary [0, " + vocabSize + ") of vocab_size");
        }
        return id;
    }

    /** A token id or a list of them; empty when absent or null. */
    private int[] tokenIds(String field) {
        if (!present(field)) return new int[0];
        JsonNode n = raw.get(field);
        if (!n.isArray()) return new int[] {tokenId(field, n)};
        int[] ids = new int[n.size()];
        for (int i = 0; i < ids.length; i++) ids[i] = tokenId(field + "[" + i + "]", n.get(i));
        return ids;
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
        } catch (java.nio.charset.CharacterCodingException e) {
            throw new UserError(file + ": not valid UTF-8 (config.json is UTF-8 JSON)");
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
        String where = raw.has("rope_parameters") ? "rope_parameters." : raw.has("rope_scaling") ? "rope_scaling." : "";
        String thetaField = params.has("rope_theta") ? where + "rope_theta" : "rope_theta";
        JsonNode thetaNode = params.has("rope_theta") ? params.get("rope_theta") : raw.get("rope_theta");
        if (thetaNode != null && !thetaNode.isNull() && !thetaNode.isNumber()) {
            throw UserError.field(file, thetaField, "expected a number, got " + thetaNode);
        }
        if (!(theta > 0) || !Double.isFinite(theta)) throw UserError.field(file, thetaField, "must be a finite number > 0, got " + theta);
        double factor = positiveNumber(params, where, "factor", 1.0);
        double low = positiveNumber(params, where, "low_freq_factor", 1.0);
        double high = positiveNumber(params, where, "high_freq_factor", 4.0);
        if (type.equals("llama3") && !(high > low)) {
            throw UserError.field(file, where + "high_freq_factor", "must exceed low_freq_factor (" + low + "), got " + high);
        }
        int original = 8192;
        if (params.has("original_max_position_embeddings")) {
            JsonNode n = params.get("original_max_position_embeddings");
            if (!n.isIntegralNumber() || !n.canConvertToInt() || n.asInt() < 1) {
                throw UserError.field(file, where + "original_max_position_embeddings", "expected an integer >= 1, got " + n);
            }
            original = n.asInt();
        }
        return new Rope(theta, type, factor, low, high, original);
    }

    private double positiveNumber(JsonNode params, String where, String field, double fallback) {
        JsonNode n = params.get(field);
        if (n == null || n.isNull()) return fallback;
        if (!n.isNumber() || !(n.asDouble() > 0) || !Double.isFinite(n.asDouble())) {
            throw UserError.field(file, where + field, "expected a finite number > 0, got " + n);
        }
        return n.asDouble();
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

}
