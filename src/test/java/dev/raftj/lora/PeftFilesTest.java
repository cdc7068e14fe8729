package dev.raftj.lora;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.raftj.Reference;
import dev.raftj.core.UserError;
import dev.raftj.model.CausalLM;
import dev.raftj.model.SafeTensors;
import dev.raftj.torch.Torch;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The folder layout PEFT writes and reads, and the round trip through it. */
class PeftFilesTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void writesPeftsKeysShapesAndConfigFields(@TempDir Path tmp) throws Exception {
        CausalLM gpt2 = CausalLM.load(Reference.model("gpt2-tiny"));
        LoraAdapter a = LoraAdapter.create(gpt2, new LoraConfig(4, 16.0, 0.05, null, true, LoraConfig.Init.GAUSSIAN, null), 1);
        Path dir = tmp.resolve("adapter");
        PeftFiles.write(dir, a, "../gpt2-tiny");
        assertEquals(List.of(PeftFiles.CONFIG, PeftFiles.WEIGHTS),
                Files.list(dir).map(p -> p.getFileName().toString()).sorted().toList(), "nothing else, no temp folder left");
        assertEquals(List.of("adapter"), Files.list(tmp).map(p -> p.getFileName().toString()).toList());
        // the same keys and shapes as PEFT's own file for this model and rank
        Map<String, Tensor> ours = SafeTensors.read(dir.resolve(PeftFiles.WEIGHTS));
        Map<String, Tensor> peft = SafeTensors.read(Reference.model("gpt2-tiny-lora").resolve(PeftFiles.WEIGHTS));
        assertEquals(new TreeSet<>(peft.keySet()), new TreeSet<>(ours.keySet()));
        for (String k : peft.keySet()) {
            assertEquals(Arrays.toString(Torch.shape(peft.get(k))), Arrays.toString(Torch.shape(ours.get(k))), k);
        }
        JsonNode c = JSON.readTree(dir.resolve(PeftFiles.CONFIG).toFile());
        JsonNode p = JSON.readTree(Reference.model("gpt2-tiny-lora").resolve(PeftFiles.CONFIG).toFile());
        for (String f : List.of("peft_type", "task_type", "r", "lora_alpha", "fan_in_fan_out", "bias", "use_rslora",
                "target_modules", "base_model_name_or_path", "use_dora", "modules_to_save")) {
            assertEquals(p.get(f), c.get(f), "adapter_config.json field " + f);
        }
        assertEquals(0.05, c.get("lora_dropout").asDouble());
        assertEquals("gaussian", c.get("init_lora_weights").asText());
        JsonNode llama = JSON.readTree(Reference.model("llama-tiny-lora").resolve(PeftFiles.CONFIG).toFile());
        assertEquals(false, llama.get("fan_in_fan_out").asBoolean(), "PEFT's Llama file: nn.Linear layout");
    }

    @Test
    void roundTripGivesTheSameAdapterAndPeftsFileReadsBack(@TempDir Path tmp) throws Exception {
        CausalLM llama = CausalLM.load(Reference.model("llama-tiny"));
        LoraAdapter peft = PeftFiles.read(Reference.model("llama-tiny-lora"), llama, null);
        assertEquals(2.0, peft.scale(), 0, "α/r = 8/4");
        CausalLM gpt2 = CausalLM.load(Reference.model("gpt2-tiny"));
        assertEquals(8.0, PeftFiles.read(Reference.model("gpt2-tiny-lora"), gpt2, null).scale(), 0, "rsLoRA: α/√r = 16/2");
        Path dir = tmp.resolve("copy");
        PeftFiles.write(dir, peft, "../llama-tiny");
        LoraAdapter back = PeftFiles.read(dir, llama, null);
        assertEquals(peft.config(), back.config());
        assertEquals(peft.layers().keySet(), back.layers().keySet());
        for (int i = 0; i < peft.parameters().size(); i++) {
            assertEquals(Arrays.toString(Torch.toFloats(peft.parameters().get(i))),
                    Arrays.toString(Torch.toFloats(back.parameters().get(i))), "tensor " + i);
        }
        assertEquals(0.3, PeftFiles.read(dir, llama, 0.3).config().dropout(), "the run's dropout replaces the file's");
        // writing again replaces the folder whole
        try (NoGradGuard g = new NoGradGuard()) {
            back.parameters().get(1).fill_(new org.bytedeco.pytorch.Scalar(0.5));
        }
        PeftFiles.write(dir, back, "../llama-tiny");
        assertEquals(0.5f, Torch.toFloats(PeftFiles.read(dir, llama, null).parameters().get(1))[0]);
    }

    @Test
    void badAdaptersAreNamedByFileAndField(@TempDir Path tmp) throws Exception {
        CausalLM llama = CausalLM.load(Reference.model("llama-tiny"));
        Path src = Reference.model("llama-tiny-lora");
        String[][] cases = {
                {"peft_type", "\"PREFIX_TUNING\"", "field 'peft_type': must be \"LORA\""},
                {"r", "0", "field 'r': must be an integer >= 1"},
                {"r", "8", "has shape [4, 64] F32, expected [8, 64]"},
                {"lora_alpha", "\"x\"", "field 'lora_alpha': must be a number > 0"},
                {"use_dora", "true", "field 'use_dora': DoRA adapters are not supported"},
                {"target_modules", "[\"q_proj\"]", "belongs to no module that target_modules [q_proj] selects"},
                {"target_modules", "[\"k_proj\", \"q_proj\", \"v_proj\"]", "lora_A.weight' missing"},
                {"target_modules", "[\"c_attn\"]", "'c_attn' matches no projection"},
                {"modules_to_save", "[\"lm_head\"]", "field 'modules_to_save'"}};
        for (String[] c : cases) {
            Path dir = tmp.resolve("bad-" + c[0] + "-" + Math.abs(c[1].hashCode()));
            Files.createDirectories(dir);
            Files.copy(src.resolve(PeftFiles.WEIGHTS), dir.resolve(PeftFiles.WEIGHTS));
            ObjectNode cfg = (ObjectNode) JSON.readTree(src.resolve(PeftFiles.CONFIG).toFile());
            cfg.set(c[0], JSON.readTree(c[1]));
            Files.writeString(dir.resolve(PeftFiles.CONFIG), cfg.toString());
            UserError e = assertThrows(UserError.class, () -> PeftFiles.read(dir, llama, null), c[0] + "=" + c[1]);
            assertTrue(e.getMessage().contains(c[2]) && e.getMessage().contains(dir.toString()), e.getMessage());
        }
        UserError e = assertThrows(UserError.class, () -> PeftFiles.read(tmp, llama, null));
        assertTrue(e.getMessage().contains("not a LoRA adapter folder (no adapter_config.json)"), e.getMessage());
    }
}
