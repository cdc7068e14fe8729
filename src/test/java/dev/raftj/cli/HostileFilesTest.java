package dev.raftj.cli;

import static dev.raftj.cli.CliTest.copyModel;
import static dev.raftj.cli.CliTest.raftj;
import static dev.raftj.cli.Hostile.assertRefused;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Family 3 of issue 14: files that are well-formed but inconsistent, within themselves or with each
 * other (config.json, tokenizer.json, the safetensors header). Each is refused at load with the
 * file and the field named; none reaches LibTorch (no "internal error", no C++ trace) and none
 * runs silently.
 */
class HostileFilesTest {

    /** An edit of a copied model folder. */
    interface Edit {
        void apply(Path dir) throws Exception;
    }

    static Arguments bad(String name, String model, Edit edit, String... mentions) {
        return Arguments.of(name, model, edit, mentions);
    }

    static Edit config(String field, Object value) {
        return dir -> Hostile.editConfigJson(dir, c -> {
            if (value == null) c.remove(field);
            else c.set(field, Hostile.JSON.valueToTree(value));
        });
    }

    static Edit header(java.util.function.Consumer<ObjectNode> edit) {
        return dir -> Hostile.editHeader(dir, edit);
    }

    static Edit tokenizer(java.util.function.Consumer<ObjectNode> edit) {
        return dir -> {
            ObjectNode t = (ObjectNode) Hostile.JSON.readTree(dir.resolve("tokenizer.json").toFile());
            edit.accept(t);
            Files.writeString(dir.resolve("tokenizer.json"), t.toString());
        };
    }

    static ObjectNode tensor(ObjectNode header, String name) {
        return (ObjectNode) header.get(name);
    }

    static Stream<Arguments> cases() {
        String g = "gpt2-tiny", l = "llama-tiny", r = "gpt2-reward-tiny";
        String ln1 = "transformer.h.0.ln_1.weight", ln2 = "transformer.h.0.ln_2.weight";
        List<Arguments> c = new ArrayList<>();
        // tokenizer.json against config.json
        c.add(bad("added token id past vocab_size", g, tokenizer(t -> ((ArrayNode) t.get("added_tokens")).addObject()
                .put("id", 600).put("content", "<|x|>").put("special", false)),
                "tokenizer.json", "added_tokens[2].id", "600", "vocab_size 512"));
        c.add(bad("vocab id past vocab_size", g, tokenizer(t -> ((ObjectNode) t.get("model").get("vocab")).put("zzqq", 513)),
                "tokenizer.json", "model.vocab.zzqq", "vocab_size 512"));
        c.add(bad("vocab id 2^31-1", g, tokenizer(t -> ((ObjectNode) t.get("model").get("vocab")).put("zzz", Integer.MAX_VALUE)),
                "tokenizer.json", "model.vocab.zzz", "2147483647"));
        c.add(bad("fractional vocab id", g, tokenizer(t -> ((ObjectNode) t.get("model").get("vocab")).put("zzz", 5.5)),
                "tokenizer.json", "model.vocab.zzz"));
        // config.json token ids against its own vocab_size
        c.add(bad("pad_token_id >= vocab", g, config("pad_token_id", 9999), "config.json", "pad_token_id", "9999"));
        c.add(bad("pad_token_id negative", g, config("pad_token_id", -7), "config.json", "pad_token_id"));
        c.add(bad("eos_token_id list with one >= vocab", g, config("eos_token_id", List.of(0, 600)), "eos_token_id[1]", "600"));
        c.add(bad("bos_token_id negative", g, config("bos_token_id", -5), "bos_token_id"));
        c.add(bad("eos_token_id a string", g, config("eos_token_id", "0"), "eos_token_id"));
        c.add(bad("reward model pad >= vocab", r, config("pad_token_id", 512), "pad_token_id", "512"));
        // config.json values that contradict each other
        c.add(bad("n_embd not divisible by n_head", g, config("n_head", 3), "config.json", "n_embd", "n_head 3"));
        c.add(bad("n_head 0", g, config("n_head", 0), "n_head", ">= 1"));
        c.add(bad("n_layer 0 (was blamed on n_embd)", g, config("n_layer", 0), "'n_layer'"));
        c.add(bad("n_inner 0", g, config("n_inner", 0), "n_inner"));
        c.add(bad("layer_norm_epsilon a string", g, config("layer_norm_epsilon", "abc"), "layer_norm_epsilon"));
        c.add(bad("layer_norm_epsilon negative", g, config("layer_norm_epsilon", -1), "layer_norm_epsilon"));
        c.add(bad("num_key_value_heads 0", l, config("num_key_value_heads", 0), "num_key_value_heads", ">= 1"));
        c.add(bad("num_key_value_heads above heads", l, config("num_key_value_heads", 8), "num_key_value_heads"));
        c.add(bad("hidden_size not divisible, no head_dim", l, dir -> {
            config("head_dim", null).apply(dir);
            config("num_attention_heads", 5).apply(dir);
        }, "hidden_size", "num_attention_heads 5"));
        c.add(bad("odd head_dim", l, config("head_dim", 15), "head_dim", "odd"));
        c.add(bad("rope_theta 0", l, config("rope_parameters", java.util.Map.of("rope_theta", 0, "rope_type", "default")),
                "rope_parameters.rope_theta"));
        c.add(bad("rope_theta a string", l, config("rope_parameters", java.util.Map.of("rope_theta", "big", "rope_type", "default")),
                "rope_parameters.rope_theta"));
        c.add(bad("llama3 high == low freq factor", l, config("rope_parameters", java.util.Map.of("rope_theta", 1e4,
                "rope_type", "llama3", "factor", 8.0, "low_freq_factor", 2.0, "high_freq_factor", 2.0)), "high_freq_factor"));
        c.add(bad("rms_norm_eps 0", l, config("rms_norm_eps", 0), "rms_norm_eps"));
        c.add(bad("config.json not UTF-8", g, dir -> {
            byte[] b = Files.readAllBytes(dir.resolve("config.json"));
            String s = new String(b, StandardCharsets.UTF_8).replaceFirst("\\{", "{\"note\": \"caf\u00e9\",");
            Files.write(dir.resolve("config.json"), s.getBytes(StandardCharsets.ISO_8859_1));
        }, "config.json", "UTF-8"));
        // safetensors headers: valid JSON, impossible layout
        c.add(bad("unknown dtype", g, header(h -> tensor(h, ln1).put("dtype", "F8_E4M3")), "model.safetensors", ln1 + ".dtype"));
        c.add(bad("shape x dtype != byte span", g, header(h -> tensor(h, "transformer.wte.weight").putArray("shape").add(512).add(65)),
                "transformer.wte.weight.data_offsets", "needs 133120"));
        c.add(bad("offsets past the end of the file", g, header(h -> {
            ArrayNode o = (ArrayNode) tensor(h, "transformer.wte.weight").get("data_offsets");
            long b = o.get(0).asLong() + 1_000_000_000L, e = o.get(1).asLong() + 1_000_000_000L;
            tensor(h, "transformer.wte.weight").putArray("data_offsets").add(b).add(e);
        }), "transformer.wte.weight.data_offsets", "past the end"));
        c.add(bad("two tensors at the same offsets", g, header(h -> tensor(h, ln2).set("data_offsets",
                tensor(h, ln1).get("data_offsets").deepCopy())), "overlaps"));
        c.add(bad("tensors overlapping by 4 bytes", g, header(h -> {
            ArrayNode o = (ArrayNode) tensor(h, ln1).get("data_offsets");
            tensor(h, ln2).putArray("data_offsets").add(o.get(0).asLong() + 4).add(o.get(1).asLong() + 4);
        }), "overlaps"));
        c.add(bad("negative size", g, header(h -> tensor(h, ln1).putArray("shape").add(-64)), ln1 + ".shape"));
        c.add(bad("size as a string", g, header(h -> tensor(h, ln1).putArray("shape").add("64")), ln1 + ".shape"));
        c.add(bad("shape whose byte size overflows 64 bits", g, header(h -> tensor(h, ln1).putArray("shape")
                .add(1L << 32).add(1L << 32).add(16)), ln1 + ".shape", "overflows"));
        c.add(bad("shape whose byte size wraps to the span", g, header(h -> {
            long b = tensor(h, ln1).get("data_offsets").get(0).asLong();
            tensor(h, ln1).putArray("shape").add(1L << 62);
            tensor(h, ln1).putArray("data_offsets").add(b).add(b);
        }), ln1 + ".shape", "overflows"));
        c.add(bad("offsets as strings", g, header(h -> tensor(h, ln1).putArray("data_offsets").add("0").add("256")),
                ln1 + ".data_offsets"));
        c.add(bad("offsets reversed", g, header(h -> tensor(h, ln1).putArray("data_offsets").add(256).add(0)),
                ln1 + ".data_offsets", "not a byte range"));
        c.add(bad("an entry that is a list", g, header(h -> h.putArray(ln1).add(1).add(2)), ln1, "dtype, shape, data_offsets"));
        c.add(bad("__metadata__ a list", g, header(h -> h.putArray("__metadata__").add(1)), "__metadata__"));
        c.add(bad("integer weights", g, header(h -> tensor(h, ln1).put("dtype", "I32")), ln1, "I32"));
        c.add(bad("reward head bias of shape [3]", r, dir -> Hostile.editTensors(dir, w -> w.put("score.bias",
                org.bytedeco.pytorch.global.torch.zeros(3))), "score.bias", "[3]"));
        c.add(bad("header a JSON list (was: tensor missing)", g, dir -> {
            Hostile.writeRaw(dir.resolve("model.safetensors"), "[1,2,3]".getBytes(StandardCharsets.UTF_8), new byte[0]);
        }, "model.safetensors", "JSON object"));
        c.add(bad("a tensor named twice", g, dir -> {
            Path f = dir.resolve("model.safetensors");
            byte[] all = Files.readAllBytes(f);
            long n = java.nio.ByteBuffer.wrap(all, 0, 8).order(java.nio.ByteOrder.LITTLE_ENDIAN).getLong();
            String h = new String(all, 8, (int) n, StandardCharsets.UTF_8).strip();
            ObjectNode tree = (ObjectNode) Hostile.JSON.readTree(h);
            String dup = h.substring(0, h.lastIndexOf('}')) + ", \"" + ln1 + "\": " + tree.get(ln1) + "}";
            Hostile.writeRaw(f, dup.getBytes(StandardCharsets.UTF_8), java.util.Arrays.copyOfRange(all, 8 + (int) n, all.length));
        }, "model.safetensors", "Duplicate", ln1));
        c.add(bad("header not UTF-8", g, dir -> {
            Path f = dir.resolve("model.safetensors");
            byte[] all = Files.readAllBytes(f);
            long n = java.nio.ByteBuffer.wrap(all, 0, 8).order(java.nio.ByteOrder.LITTLE_ENDIAN).getLong();
            String h = new String(all, 8, (int) n, StandardCharsets.UTF_8).replace("\"pt\"", "\"p\u00e9\"");
            Hostile.writeRaw(f, h.getBytes(StandardCharsets.ISO_8859_1), java.util.Arrays.copyOfRange(all, 8 + (int) n, all.length));
        }, "model.safetensors", "UTF-8"));
        c.add(bad("header length 2^63-1", g, dir -> {
            Path f = dir.resolve("model.safetensors");
            byte[] all = Files.readAllBytes(f);
            java.nio.ByteBuffer.wrap(all).order(java.nio.ByteOrder.LITTLE_ENDIAN).putLong(0, Long.MAX_VALUE);
            Files.write(f, all);
        }, "model.safetensors", "header length"));
        c.add(bad("index naming a file outside the folder", g, dir -> shard(dir, "../elsewhere.safetensors", false),
                "model.safetensors.index.json", "weight_map"));
        c.add(bad("index naming a tensor its shard lacks", g, dir -> shard(dir, "model-1.safetensors", true),
                "model.safetensors.index.json", "transformer.extra.weight"));
        return c.stream();
    }

    /** model.safetensors moved to model-1.safetensors, with an index naming {@code shard} for every tensor. */
    static void shard(Path dir, String shard, boolean extra) throws Exception {
        Files.move(dir.resolve("model.safetensors"), dir.resolve("model-1.safetensors"));
        ObjectNode map = Hostile.JSON.createObjectNode();
        for (String k : dev.raftj.model.SafeTensors.read(dir.resolve("model-1.safetensors")).keySet()) map.put(k, shard);
        if (extra) map.put("transformer.extra.weight", shard);
        ObjectNode index = Hostile.JSON.createObjectNode();
        index.set("weight_map", map);
        Files.writeString(dir.resolve("model.safetensors.index.json"), index.toString());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void refusedAtLoadNamingFileAndField(String name, String model, Edit edit, String[] mentions, @TempDir Path tmp)
            throws Exception {
        Path dir = copyModel(model, tmp);
        edit.apply(dir);
        // a prompt with an added token and two prompt lengths, so that padding and every id are exercised
        CliTest.Run run = model.contains("reward")
                ? raftj("score", "--reward-model", dir.toString(), "--prompt", "hello <|x|>", "--response", " there",
                        "--prompt", "a", "--response", "b")
                : raftj("generate", "--model", dir.toString(), "--prompt", "hello <|x|> there", "--prompt", "a",
                        "--max-new-tokens", "4");
        assertRefused(run, mentions);
    }
}
