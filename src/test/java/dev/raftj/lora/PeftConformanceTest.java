package dev.raftj.lora;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.raftj.Reference;
import dev.raftj.cli.Main;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * PEFT 0.21's adapters on the tiny reference models: {@code raftj generate --adapter} gives PEFT's
 * greedy tokens exactly and its log-probabilities within 1e-4. The GPT-2 adapter pins Conv1D
 * (fan_in_fan_out) and rsLoRA's α/√r; the Llama one pins α/r on q_proj and v_proj.
 */
class PeftConformanceTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    static String[] run(List<String> args) {
        StringWriter out = new StringWriter(), err = new StringWriter();
        int code = Main.run(new PrintWriter(out, true), new PrintWriter(err, true), args.toArray(new String[0]));
        assertEquals(0, code, err.toString());
        return out.toString().strip().split("\n");
    }

    static List<String> generateArgs(Path model, JsonNode golden) {
        List<String> args = new ArrayList<>(List.of("generate", "--model", model.toString(), "--greedy", "--ignore-eos",
                "--max-new-tokens", "12", "--format", "json", "--threads", "1"));
        for (JsonNode c : golden.get("cases")) {
            args.add("--prompt");
            args.add(c.get("prompt").asText());
        }
        return args;
    }

    @ParameterizedTest
    @ValueSource(strings = {"gpt2-tiny", "llama-tiny"})
    void generateWithAdapterMatchesPeft(String base) throws Exception {
        Path adapter = Reference.model(base + "-lora");
        JsonNode golden = JSON.readTree(adapter.resolve("golden.json").toFile());
        List<String> args = generateArgs(Reference.model(base), golden);
        String[] plain = run(args);
        args.addAll(List.of("--adapter", adapter.toString()));
        String[] lines = run(args);
        assertEquals(golden.get("cases").size(), lines.length);
        boolean anyDiffers = false;
        for (int i = 0; i < lines.length; i++) {
            JsonNode got = JSON.readTree(lines[i]), want = golden.get("cases").get(i);
            int[] tokens = ints(got.get("tokens"));
            assertArrayEquals(ints(want.get("tokens")), tokens, base + " case " + i);
            Reference.assertClose(base + "+lora case " + i + " logprobs", floats(want.get("logprobs")),
                    floats(got.get("logprobs")), 1e-4, 0);
            anyDiffers |= !Arrays.equals(tokens, ints(JSON.readTree(plain[i]).get("tokens")));
        }
        assertTrue(anyDiffers, "the adapter changes no greedy token: the golden would not test it");
    }

    static int[] ints(JsonNode a) {
        return JSON.convertValue(a, int[].class);
    }

    static float[] floats(JsonNode a) {
        return JSON.convertValue(a, float[].class);
    }
}
