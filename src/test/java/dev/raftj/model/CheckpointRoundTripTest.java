package dev.raftj.model;

import dev.raftj.torch.Torch;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.raftj.Reference;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch.ScalarType;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** save → load gives the same names, shapes, dtypes and bytes; bf16 and sharded files too. */
class CheckpointRoundTripTest {

    @ParameterizedTest
    @ValueSource(strings = {"gpt2-tiny", "llama-tiny", "gpt2-reward-tiny"})
    void saveThenLoadIsBitExact(String name, @TempDir Path tmp) throws Exception {
        Path src = Reference.model(name);
        Path out = tmp.resolve("saved");
        Checkpoint c = Checkpoint.load(src, new org.bytedeco.pytorch.Device("cpu"), ScalarType.Float);
        Checkpoint.save(out, c.config, c.weights, c.storedDtypes, src);
        assertSameTensors(SafeTensors.read(src.resolve("model.safetensors")), SafeTensors.read(out.resolve("model.safetensors")));
        ObjectMapper json = new ObjectMapper();
        assertEquals(json.readTree(src.resolve("config.json").toFile()), json.readTree(out.resolve("config.json").toFile()));
        assertArrayEquals(Files.readAllBytes(src.resolve("tokenizer.json")), Files.readAllBytes(out.resolve("tokenizer.json")));
        try (var files = Files.list(tmp)) {
            assertFalse(files.anyMatch(p -> p.getFileName().toString().contains(".tmp")), "no temp folder left");
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"llama-tiny"})
    void bfloat16WeightsSurviveFloat32ComputeAndSaveBack(String name, @TempDir Path tmp) throws Exception {
        Path src = Reference.model(name);
        Path bf16 = tmp.resolve("bf16");
        Files.createDirectories(bf16);
        Map<String, Tensor> w = new LinkedHashMap<>();
        SafeTensors.read(src.resolve("model.safetensors")).forEach((k, v) -> w.put(k, v.to(ScalarType.BFloat16)));
        SafeTensors.write(bf16.resolve("model.safetensors"), w, Map.of("format", "pt"));
        Files.copy(src.resolve("config.json"), bf16.resolve("config.json"));
        CausalLM model = CausalLM.load(bf16);
        assertEquals(ScalarType.Float, model.dtype());
        model.save(tmp.resolve("again"));
        Map<String, Tensor> back = SafeTensors.read(tmp.resolve("again/model.safetensors"));
        assertEquals(ScalarType.BFloat16, Torch.dtype(back.values().iterator().next()));
        assertSameTensors(w, back);
    }

    @ParameterizedTest
    @ValueSource(strings = {"llama-tiny"})
    void shardedCheckpointLoadsLikeASingleFile(String name, @TempDir Path tmp) throws Exception {
        Path src = Reference.model(name);
        Map<String, Tensor> all = SafeTensors.read(src.resolve("model.safetensors"));
        Map<String, Tensor> a = new LinkedHashMap<>(), b = new LinkedHashMap<>();
        StringBuilder index = new StringBuilder("{\"metadata\": {}, \"weight_map\": {");
        int i = 0;
        for (var e : all.entrySet()) {
            String shard = (i % 2 == 0) ? "model-00001-of-00002.safetensors" : "model-00002-of-00002.safetensors";
            ((i % 2 == 0) ? a : b).put(e.getKey(), e.getValue());
            index.append(i == 0 ? "" : ",").append('"').append(e.getKey()).append("\": \"").append(shard).append('"');
            i++;
        }
        index.append("}}");
        Files.copy(src.resolve("config.json"), tmp.resolve("config.json"));
        SafeTensors.write(tmp.resolve("model-00001-of-00002.safetensors"), a, null);
        SafeTensors.write(tmp.resolve("model-00002-of-00002.safetensors"), b, null);
        Files.writeString(tmp.resolve(SafeTensors.INDEX), index);
        Map<String, Tensor> g = Reference.golden(name);
        float[] single = Torch.toFloats(CausalLM.load(src).logits(g.get("input_ids"), g.get("attention_mask")));
        float[] sharded = Torch.toFloats(CausalLM.load(tmp).logits(g.get("input_ids"), g.get("attention_mask")));
        assertArrayEquals(single, sharded);
    }

    static void assertSameTensors(Map<String, Tensor> want, Map<String, Tensor> got) {
        assertEquals(new java.util.TreeSet<>(want.keySet()), new java.util.TreeSet<>(got.keySet()));
        for (String k : want.keySet()) {
            assertEquals(Torch.dtype(want.get(k)), Torch.dtype(got.get(k)), k);
            assertArrayEquals(Torch.shape(want.get(k)), Torch.shape(got.get(k)), k);
            assertArrayEquals(Torch.bytes(want.get(k)), Torch.bytes(got.get(k)), k);
        }
    }

    /**
     * bfloat16 compute (--dtype bfloat16) against float32 over the real positions: relative RMS
     * error under 3% and the same top-1 token at least 95% of the time (bf16 has 8 mantissa bits).
     */
    @ParameterizedTest
    @ValueSource(strings = {"gpt2-tiny", "llama-tiny"})
    void bfloat16ComputeStaysCloseToFloat32(String name) {
        Map<String, Tensor> g = Reference.golden(name);
        CausalLM bf16 = CausalLM.load(Reference.model(name), new org.bytedeco.pytorch.Device("cpu"), ScalarType.BFloat16);
        assertEquals(ScalarType.BFloat16, bf16.dtype());
        float[] want = Torch.toFloats(CausalLM.load(Reference.model(name)).logits(g.get("input_ids"), g.get("attention_mask")));
        float[] got = Torch.toFloats(bf16.logits(g.get("input_ids"), g.get("attention_mask")));
        long[] mask = Torch.toLongs(g.get("attention_mask"));
        int v = bf16.config().vocabSize, rows = 0, agree = 0;
        double err = 0, ref = 0;
        for (int pos = 0; pos < mask.length; pos++) {
            if (mask[pos] == 0) continue;
            int best = 0, bestGot = 0;
            for (int j = 0; j < v; j++) {
                int i = pos * v + j;
                err += (got[i] - want[i]) * (got[i] - want[i]);
                ref += want[i] * want[i];
                if (want[i] > want[pos * v + best]) best = j;
                if (got[i] > got[pos * v + bestGot]) bestGot = j;
            }
            rows++;
            if (best == bestGot) agree++;
        }
        double relRms = Math.sqrt(err / ref);
        assertTrue(relRms < 0.03, name + " relative RMS error " + relRms);
        assertTrue(agree >= 0.95 * rows, name + " top-1 agreement " + agree + "/" + rows);
    }
}
