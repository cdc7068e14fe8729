package dev.raftj.model;

import dev.raftj.torch.Torch;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import dev.raftj.Reference;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Qwen2 is Llama plus q/k/v biases: zero biases give Llama's logits, non-zero ones change them. */
class Qwen2Test {

    @Test
    void qkvBiasesAreRead(@TempDir Path tmp) throws Exception {
        Path llama = Reference.model("llama-tiny");
        Map<String, Tensor> g = Reference.golden("llama-tiny");
        Map<String, Tensor> w = new LinkedHashMap<>(SafeTensors.read(llama.resolve("model.safetensors")));
        for (int layer = 0; layer < 2; layer++) {
            for (String proj : new String[] {"q_proj", "k_proj", "v_proj"}) {
                Tensor weight = w.get("model.layers." + layer + ".self_attn." + proj + ".weight");
                w.put("model.layers." + layer + ".self_attn." + proj + ".bias", torch.zeros(weight.size(0)));
            }
        }
        Files.writeString(tmp.resolve("config.json"),
                Files.readString(llama.resolve("config.json")).replace("\"llama\"", "\"qwen2\""));
        SafeTensors.write(tmp.resolve("model.safetensors"), w, null);
        float[] base = Torch.toFloats(CausalLM.load(llama).logits(g.get("input_ids"), g.get("attention_mask")));
        CausalLM qwen = CausalLM.load(tmp);
        assertArrayEquals(base, Torch.toFloats(qwen.logits(g.get("input_ids"), g.get("attention_mask"))), 1e-6f);
        qwen.weights().get("model.layers.0.self_attn.q_proj.bias").fill_(new org.bytedeco.pytorch.Scalar(0.5));
        float[] shifted = Torch.toFloats(qwen.logits(g.get("input_ids"), g.get("attention_mask")));
        assertFalse(Arrays.equals(base, shifted), "a q bias must change the logits");
    }
}
