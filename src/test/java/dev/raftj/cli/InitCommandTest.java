package dev.raftj.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.raftj.Reference;
import dev.raftj.data.Tokenizer;
import dev.raftj.model.CausalLM;
import dev.raftj.model.Initializer;
import dev.raftj.model.SafeTensors;
import dev.raftj.torch.Torch;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code raftj init}: seeded checkpoints from HF configs (GPT-2, Llama, Qwen2) that load and run; bad input named. */
class InitCommandTest {
    static final ObjectMapper JSON = new ObjectMapper();

    static CliTest.Run raftj(String... args) {
        return CliTest.raftj(args);
    }

    static Path tokenizer() {
        return Reference.model("gpt2-tokenizer");
    }

    /** A GPT-2-small-shaped config (HF's keys) at a test-friendly width: real vocabulary, d 32, 2 layers. */
    static ObjectNode smallGpt2() {
        ObjectNode c = JSON.createObjectNode();
        c.put("model_type", "gpt2").put("vocab_size", 50257).put("n_embd", 32).put("n_layer", 2).put("n_head", 2)
                .put("n_positions", 64).put("bos_token_id", 50256).put("eos_token_id", 50256)
                .put("activation_function", "gelu_new").put("layer_norm_epsilon", 1e-5);
        return c;
    }

    static Path write(Path file, ObjectNode node) throws Exception {
        Files.writeString(file, JSON.writeValueAsString(node));
        return file;
    }

    static CliTest.Run init(Path config, Path out, long seed) {
        return raftj("init", "--config", config.toString(), "--tokenizer", tokenizer().toString(),
                "--seed", Long.toString(seed), "--out", out.toString());
    }

    @Test
    void gpt2LoadsRunsAndIsReproducible(@TempDir Path tmp) throws Exception {
        Path cfg = write(tmp.resolve("small.json"), smallGpt2());
        CliTest.Run r = init(cfg, tmp.resolve("a"), 3);
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("parameters"), r.out());
        assertEquals(0, init(cfg, tmp.resolve("b"), 3).code());
        assertEquals(0, init(cfg, tmp.resolve("c"), 4).code());
        byte[] a = Files.readAllBytes(tmp.resolve("a/model.safetensors"));
        assertArrayEquals(a, Files.readAllBytes(tmp.resolve("b/model.safetensors")), "same seed, same bytes");
        assertFalse(java.util.Arrays.equals(a, Files.readAllBytes(tmp.resolve("c/model.safetensors"))));
        for (String f : new String[] {"config.json", "generation_config.json", "tokenizer.json"}) {
            assertTrue(Files.isRegularFile(tmp.resolve("a").resolve(f)), f);
        }
        try (var s = Files.list(tmp)) {
            assertTrue(s.noneMatch(p -> p.getFileName().toString().contains(".tmp")), "no temp folder left");
        }
        CausalLM lm = CausalLM.load(tmp.resolve("a"));
        assertEquals("GPT2LMHeadModel", lm.config().raw.path("architectures").path(0).asText());
        Tokenizer tok = Tokenizer.load(tmp.resolve("a"));
        int[] ids = tok.encode("Hello world");
        long[] l = new long[ids.length];
        for (int i = 0; i < ids.length; i++) l[i] = ids[i];
        long[] ones = new long[ids.length];
        java.util.Arrays.fill(ones, 1);
        Tensor logits = lm.logits(Torch.longs(l, 1, l.length), Torch.longs(ones, 1, l.length));
        assertArrayEquals(new long[] {1, ids.length, 50257}, Torch.shape(logits));
        for (float x : Torch.toFloats(logits.narrow(1, ids.length - 1, 1))) assertTrue(Math.abs(x) < 5f, "logit " + x);
    }

    @Test
    void gpt2DrawsAsTheBuiltInInitializer(@TempDir Path tmp) throws Exception {
        var spec = new Initializer.Gpt2Spec(50257, 32, 2, 2, 64, 50256, 50256, 50256);
        Initializer.gpt2(tmp.resolve("builtin"), spec, 11);
        Path cfg = write(tmp.resolve("c.json"), Initializer.gpt2Config(spec));
        assertEquals(0, init(cfg, tmp.resolve("cli"), 11).code());
        assertArrayEquals(Files.readAllBytes(tmp.resolve("builtin/model.safetensors")),
                Files.readAllBytes(tmp.resolve("cli/model.safetensors")));
    }

    @Test
    void llamaAndQwen2(@TempDir Path tmp) throws Exception {
        for (String type : new String[] {"llama", "qwen2"}) {
            ObjectNode c = JSON.createObjectNode();
            c.put("model_type", type).put("vocab_size", 50304).put("hidden_size", 32).put("num_hidden_layers", 2)
                    .put("num_attention_heads", 4).put("num_key_value_heads", 2).put("intermediate_size", 64)
                    .put("max_position_embeddings", 64).put("tie_word_embeddings", type.equals("qwen2"))
                    .put("eos_token_id", 50256).put("pad_token_id", 50256).put("rms_norm_eps", 1e-6);
            Path out = tmp.resolve(type);
            CliTest.Run r = init(write(tmp.resolve(type + ".json"), c), out, 5);
            assertEquals(0, r.code(), r.err());
            Map<String, Tensor> w = SafeTensors.read(out.resolve("model.safetensors"));
            assertEquals(type.equals("qwen2"), w.containsKey("model.layers.0.self_attn.q_proj.bias"), type);
            assertEquals(type.equals("llama"), w.containsKey("lm_head.weight"), type);
            for (float x : Torch.toFloats(w.get("model.embed_tokens.weight").select(0, 50256))) assertEquals(0f, x);
            CausalLM lm = CausalLM.load(out);
            Tensor logits = lm.logits(Torch.longs(new long[] {464, 3290, 318}, 1, 3), Torch.longs(new long[] {1, 1, 1}, 1, 3));
            assertArrayEquals(new long[] {1, 3, 50304}, Torch.shape(logits));
            for (float x : Torch.toFloats(logits)) assertTrue(Float.isFinite(x));
        }
    }

    @Test
    void badInputNamesTheFileAndField(@TempDir Path tmp) throws Exception {
        ObjectNode missing = smallGpt2();
        missing.remove("n_embd");
        Path f = write(tmp.resolve("missing.json"), missing);
        CliTest.Run r = init(f, tmp.resolve("o1"), 0);
        assertEquals(1, r.code());
        assertTrue(r.err().contains(f.toString()) && r.err().contains("'n_embd'") && r.err().contains("missing"), r.err());
        assertFalse(Files.exists(tmp.resolve("o1")), "nothing written");

        Path small = write(tmp.resolve("vocab.json"), smallGpt2().put("vocab_size", 1000).put("bos_token_id", 0)
                .put("eos_token_id", 0));
        r = init(small, tmp.resolve("o2"), 0);
        assertEquals(1, r.code());
        assertTrue(r.err().contains(small.toString()) && r.err().contains("'vocab_size'")
                && r.err().contains("tokenizer.json"), r.err());

        Path heads = write(tmp.resolve("heads.json"), smallGpt2().put("n_head", 3));
        r = init(heads, tmp.resolve("o3"), 0);
        assertTrue(r.code() == 1 && r.err().contains("'n_embd'") && r.err().contains("n_head 3"), r.err());

        Path eos = write(tmp.resolve("eos.json"), smallGpt2().put("eos_token_id", 60000));
        r = init(eos, tmp.resolve("o4"), 0);
        assertTrue(r.code() == 1 && r.err().contains("'eos_token_id'"), r.err());

        Path type = write(tmp.resolve("type.json"), smallGpt2().put("model_type", "bert"));
        r = init(type, tmp.resolve("o5"), 0);
        assertTrue(r.code() == 1 && r.err().contains("'model_type'") && r.err().contains(type.toString()), r.err());

        Path good = write(tmp.resolve("good.json"), smallGpt2());
        Files.createDirectories(tmp.resolve("full"));
        Files.writeString(tmp.resolve("full/keep.txt"), "x");
        r = init(good, tmp.resolve("full"), 0);
        assertTrue(r.code() == 1 && r.err().contains("not empty"), r.err());
        assertEquals("x", Files.readString(tmp.resolve("full/keep.txt")));

        r = raftj("init", "--config", tmp.resolve("absent.json").toString(), "--tokenizer", tokenizer().toString(),
                "--out", tmp.resolve("o6").toString());
        assertTrue(r.code() == 1 && r.err().contains("absent.json"), r.err());
        r = raftj("init", "--config", good.toString(), "--tokenizer", tmp.toString(), "--out", tmp.resolve("o7").toString());
        assertTrue(r.code() == 1 && r.err().contains("tokenizer.json"), r.err());
    }
}
