package dev.raftj.tasks;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.raftj.Reference;
import dev.raftj.data.BpeTokenizer;
import dev.raftj.model.CausalLM;
import dev.raftj.model.Initializer;
import dev.raftj.model.SafeTensors;
import dev.raftj.torch.Torch;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Fresh GPT-2 checkpoints: deterministic by seed, HF's names and config keys, GPT-2's init, loadable. */
class InitializerTest {
    static final Initializer.Gpt2Spec SPEC = new Initializer.Gpt2Spec(258, 64, 2, 4, 32, 0, 0, 1);

    @Test
    void sameSeedSameBytesOtherSeedOtherBytes(@TempDir Path tmp) throws Exception {
        Initializer.gpt2(tmp.resolve("a"), SPEC, 7);
        Initializer.gpt2(tmp.resolve("b"), SPEC, 7);
        Initializer.gpt2(tmp.resolve("c"), SPEC, 8);
        for (String f : List.of("model.safetensors", "config.json", "generation_config.json")) {
            assertArrayEquals(Files.readAllBytes(tmp.resolve("a").resolve(f)), Files.readAllBytes(tmp.resolve("b").resolve(f)), f);
        }
        assertFalse(java.util.Arrays.equals(Files.readAllBytes(tmp.resolve("a/model.safetensors")),
                Files.readAllBytes(tmp.resolve("c/model.safetensors"))));
        try (var files = Files.list(tmp.resolve("a"))) {
            assertTrue(files.noneMatch(p -> p.getFileName().toString().endsWith(".tmp")), "no temp file left");
        }
    }

    @Test
    void loadsAndRunsWithAByteLevelTokenizer(@TempDir Path tmp) {
        BpeTokenizer.byteLevel(List.of("<|endoftext|>", "<|pad|>")).save(tmp.resolve("tokenizer.json"));
        Initializer.gpt2(tmp, SPEC, 1);
        CausalLM lm = CausalLM.load(tmp);
        assertEquals(258, lm.config().vocabSize);
        assertEquals(32, lm.config().maxPositions);
        assertTrue(lm.config().tieEmbeddings);
        Tensor ids = Torch.longs(new long[] {20, 21, 22, 0}, 1, 4);
        Tensor logits = lm.logits(ids, Torch.longs(new long[] {1, 1, 1, 1}, 1, 4));
        assertArrayEquals(new long[] {1, 4, 258}, Torch.shape(logits));
        // Near-uniform predictions at init: small weights give small logits.
        for (float x : Torch.toFloats(logits)) assertTrue(Math.abs(x) < 1.0f, "logit " + x);
    }

    @Test
    void gpt2InitialisationStatistics() {
        Map<String, Tensor> w = Initializer.gpt2Weights(new Initializer.Gpt2Spec(258, 64, 4, 4, 32, 0, 0, 1), 3);
        assertEquals(0.02, std(w.get("transformer.wte.weight")), 0.001);
        assertEquals(0.02, std(w.get("transformer.h.0.attn.c_attn.weight")), 0.001);
        assertEquals(0.02, std(w.get("transformer.h.1.mlp.c_fc.weight")), 0.001);
        double proj = 0.02 / Math.sqrt(2 * 4);
        assertEquals(proj, std(w.get("transformer.h.2.attn.c_proj.weight")), 0.1 * proj);
        assertEquals(proj, std(w.get("transformer.h.3.mlp.c_proj.weight")), 0.1 * proj);
        assertEquals(1.0, Torch.item(w.get("transformer.h.0.ln_1.weight").min()));
        assertEquals(1.0, Torch.item(w.get("transformer.ln_f.weight").max()));
        assertEquals(0.0, Torch.item(w.get("transformer.h.3.mlp.c_proj.bias").abs().max()));
        assertEquals(0.0, Torch.item(w.get("transformer.h.0.attn.c_attn.bias").abs().max()));
        assertFalse(w.containsKey("lm_head.weight"), "tied head is not stored, as HF saves GPT-2");
    }

    /** Same tensor names and shapes and the same config keys as transformers' GPT2LMHeadModel files. */
    @Test
    void matchesTheLayoutTransformersWrites(@TempDir Path tmp) throws Exception {
        Path ref = Reference.model("gpt2-tiny");
        JsonNode refConfig = new ObjectMapper().readTree(ref.resolve("config.json").toFile());
        Initializer.Gpt2Spec spec = new Initializer.Gpt2Spec(refConfig.get("vocab_size").asInt(), refConfig.get("n_embd").asInt(),
                refConfig.get("n_layer").asInt(), refConfig.get("n_head").asInt(), refConfig.get("n_positions").asInt(), 0, 0, 1);
        Initializer.gpt2(tmp, spec, 0);
        Map<String, Tensor> mine = SafeTensors.read(tmp.resolve("model.safetensors"));
        Map<String, Tensor> theirs = SafeTensors.read(ref.resolve("model.safetensors"));
        assertEquals(theirs.keySet(), mine.keySet());
        for (String k : theirs.keySet()) {
            assertArrayEquals(Torch.shape(theirs.get(k)), Torch.shape(mine.get(k)), k);
            assertEquals(Torch.dtype(theirs.get(k)), Torch.dtype(mine.get(k)), k);
        }
        JsonNode config = new ObjectMapper().readTree(tmp.resolve("config.json").toFile());
        Set<String> want = new HashSet<>();
        refConfig.fieldNames().forEachRemaining(want::add);
        want.remove("transformers_version");
        Set<String> got = new HashSet<>();
        config.fieldNames().forEachRemaining(got::add);
        assertEquals(want, got);
        for (String k : List.of("model_type", "architectures", "activation_function", "tie_word_embeddings",
                "n_embd", "n_layer", "n_head", "n_positions", "vocab_size", "bos_token_id", "eos_token_id", "pad_token_id")) {
            assertEquals(refConfig.get(k), config.get(k), k);
        }
        assertEquals(0.02, config.get("initializer_range").asDouble());
    }

    private static double std(Tensor t) {
        return Torch.item(t.std());
    }
}
