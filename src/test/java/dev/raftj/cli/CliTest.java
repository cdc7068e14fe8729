package dev.raftj.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.raftj.Reference;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The CLI contract: reference cli_expect.json cases, exact tokens and logprobs within 1e-4. */
class CliTest {
    static final ObjectMapper JSON = new ObjectMapper();

    record Run(int code, String out, String err) {}

    static Run raftj(String... args) {
        StringWriter out = new StringWriter(), err = new StringWriter();
        int code = Main.run(new PrintWriter(out, true), new PrintWriter(err, true), args);
        return new Run(code, out.toString(), err.toString());
    }

    @ParameterizedTest
    @ValueSource(strings = {"gpt2-tiny", "llama-tiny"})
    void generateJsonMatchesHf(String name) throws Exception {
        Path dir = Reference.model(name);
        JsonNode expect = JSON.readTree(dir.resolve("cli_expect.json").toFile());
        List<String> args = new ArrayList<>(List.of("generate", "--model", dir.toString(), "--greedy", "--ignore-eos",
                "--max-new-tokens", expect.get("max_new_tokens").asText(), "--format", "json", "--threads", "1"));
        for (JsonNode c : expect.get("cases")) {
            args.add("--prompt");
            args.add(c.get("prompt").asText());
        }
        Run run = raftj(args.toArray(new String[0]));
        assertEquals(0, run.code(), run.err());
        String[] lines = run.out().strip().split("\n");
        assertEquals(expect.get("cases").size(), lines.length);
        for (int i = 0; i < lines.length; i++) {
            JsonNode got = JSON.readTree(lines[i]), want = expect.get("cases").get(i);
            assertEquals(want.get("prompt").asText(), got.get("prompt").asText());
            assertArrayEquals(ints(want.get("tokens")), ints(got.get("tokens")), name + " case " + i);
            Reference.assertClose(name + " case " + i + " logprobs", floats(want.get("logprobs")),
                    floats(got.get("logprobs")), 1e-4, 0);
            assertTrue(got.has("text"));
        }
    }

    @Test
    void scoreJsonMatchesHf() throws Exception {
        Path dir = Reference.model("gpt2-reward-tiny");
        JsonNode expect = JSON.readTree(dir.resolve("cli_expect.json").toFile());
        List<String> args = new ArrayList<>(List.of("score", "--reward-model", dir.toString(), "--format", "json"));
        for (JsonNode c : expect.get("cases")) {
            args.addAll(List.of("--prompt", c.get("prompt").asText(), "--response", c.get("response").asText()));
        }
        Run run = raftj(args.toArray(new String[0]));
        assertEquals(0, run.code(), run.err());
        String[] lines = run.out().strip().split("\n");
        for (int i = 0; i < lines.length; i++) {
            JsonNode got = JSON.readTree(lines[i]), want = expect.get("cases").get(i);
            assertEquals(want.get("response").asText(), got.get("response").asText());
            assertEquals(want.get("score").asDouble(), got.get("score").asDouble(), 1e-4, "case " + i);
        }
    }

    @Test
    void ignoreEosGivesExactlyNTokensAndSamplingIsSeeded() throws Exception {
        Path dir = Reference.model("gpt2-tiny");
        String[] args = {"generate", "--model", dir.toString(), "--prompt", "Free software", "--max-new-tokens", "20",
                "--temperature", "0.9", "--top-k", "50", "--top-p", "0.95", "--num-samples", "3", "--seed", "7",
                "--ignore-eos", "--format", "json"};
        Run a = raftj(args), b = raftj(args);
        assertEquals(0, a.code(), a.err());
        assertEquals(a.out(), b.out(), "same seed, same samples");
        String[] lines = a.out().strip().split("\n");
        assertEquals(3, lines.length);
        for (String l : lines) assertEquals(20, JSON.readTree(l).get("tokens").size());
    }

    @Test
    void helpListsTheContractFlags() {
        Run run = raftj("generate", "--help");
        assertEquals(0, run.code());
        for (String flag : List.of("--model", "--prompt", "--max-new-tokens", "--greedy", "--temperature", "--top-k",
                "--top-p", "--seed", "--num-samples", "--ignore-eos", "--format")) {
            assertTrue(run.out().contains(flag), flag);
        }
    }

    // ---- bad input: a clear error naming the file and field, non-zero exit, no stack trace ----

    @Test
    void missingConfig(@org.junit.jupiter.api.io.TempDir Path tmp) {
        assertUserError(raftj("generate", "--model", tmp.toString(), "--prompt", "x"), "config.json");
    }

    @Test
    void malformedConfig(@org.junit.jupiter.api.io.TempDir Path tmp) throws Exception {
        Path m = copyModel("gpt2-tiny", tmp);
        Files.writeString(m.resolve("config.json"), "{\"model_type\": \"gpt2\",\n  \"n_embd\": 64,,}");
        assertUserError(raftj("generate", "--model", m.toString(), "--prompt", "x"), "config.json:2");
    }

    @Test
    void unknownModelType(@org.junit.jupiter.api.io.TempDir Path tmp) throws Exception {
        Path m = copyModel("gpt2-tiny", tmp);
        editConfig(m, "\"model_type\": \"gpt2\"", "\"model_type\": \"mamba\"");
        assertUserError(raftj("generate", "--model", m.toString(), "--prompt", "x"), "model_type", "mamba");
    }

    @Test
    void wrongFieldType(@org.junit.jupiter.api.io.TempDir Path tmp) throws Exception {
        Path m = copyModel("gpt2-tiny", tmp);
        editConfig(m, "\"n_layer\": 2", "\"n_layer\": \"two\"");
        assertUserError(raftj("generate", "--model", m.toString(), "--prompt", "x"), "config.json", "n_layer");
    }

    @Test
    void missingTensor(@org.junit.jupiter.api.io.TempDir Path tmp) throws Exception {
        Path m = copyModel("gpt2-tiny", tmp);
        editConfig(m, "\"n_layer\": 2", "\"n_layer\": 3");
        assertUserError(raftj("generate", "--model", m.toString(), "--prompt", "x"), "model.safetensors",
                "transformer.h.2.");
    }

    @Test
    void misShapedTensor(@org.junit.jupiter.api.io.TempDir Path tmp) throws Exception {
        Path m = copyModel("gpt2-tiny", tmp);
        editConfig(m, "\"n_positions\": 128", "\"n_positions\": 256");
        assertUserError(raftj("generate", "--model", m.toString(), "--prompt", "x"), "model.safetensors",
                "transformer.wpe.weight", "[128, 64]");
    }

    @Test
    void promptLongerThanContext() {
        Path dir = Reference.model("gpt2-tiny");
        assertUserError(raftj("generate", "--model", dir.toString(), "--prompt", "word ".repeat(200),
                "--max-new-tokens", "4"), "context", "config.json");
    }

    @Test
    void unreadableTokenizer(@org.junit.jupiter.api.io.TempDir Path tmp) throws Exception {
        Path m = copyModel("gpt2-tiny", tmp);
        Files.writeString(m.resolve("tokenizer.json"), "{ not json");
        assertUserError(raftj("generate", "--model", m.toString(), "--prompt", "x"), "tokenizer.json");
    }

    @Test
    void causalLmIsNotARewardModel() {
        assertUserError(raftj("score", "--reward-model", Reference.model("gpt2-tiny").toString(), "--prompt", "a",
                "--response", "b"), "architectures");
    }

    @Test
    void unknownDevice() {
        assertUserError(raftj("generate", "--model", Reference.model("gpt2-tiny").toString(), "--prompt", "x",
                "--device", "tpu"), "--device", "unknown device 'tpu'");
    }

    @Test
    void alignOnCudaWithoutCudaIsAClearError(@org.junit.jupiter.api.io.TempDir Path tmp) {
        org.junit.jupiter.api.Assumptions.assumeFalse(org.bytedeco.pytorch.global.torch.cuda_is_available(),
                "this LibTorch has CUDA: align --device cuda would run");
        Path out = tmp.resolve("run");
        assertUserError(raftj("align", "--stages", "1", "--out", out.toString(), "--device", "cuda"), "--device",
                "no CUDA device");
        assertFalse(Files.exists(out), "nothing written before the error");
    }

    @Test
    void alignTrainsInFloat32Only(@org.junit.jupiter.api.io.TempDir Path tmp) {
        assertUserError(raftj("align", "--stages", "1", "--out", tmp.resolve("run").toString(), "--dtype", "bfloat16"),
                "--dtype", "float32");
    }

    static void assertUserError(Run run, String... mentions) {
        assertEquals(1, run.code(), "exit code; stderr: " + run.err());
        assertTrue(run.err().startsWith("raftj: error: "), run.err());
        for (String m : mentions) assertTrue(run.err().contains(m), "error should mention '" + m + "': " + run.err());
        assertFalse(run.err().contains("\tat "), "no stack trace: " + run.err());
    }

    static Path copyModel(String name, Path tmp) throws Exception {
        Path src = Reference.model(name), dst = tmp.resolve(name);
        Files.createDirectories(dst);
        for (String f : List.of("config.json", "model.safetensors", "tokenizer.json")) {
            Files.copy(src.resolve(f), dst.resolve(f));
        }
        return dst;
    }

    static void editConfig(Path m, String from, String to) throws Exception {
        String s = Files.readString(m.resolve("config.json"));
        assertTrue(s.contains(from), from);
        Files.writeString(m.resolve("config.json"), s.replace(from, to));
    }

    static int[] ints(JsonNode a) {
        int[] r = new int[a.size()];
        for (int i = 0; i < r.length; i++) r[i] = a.get(i).asInt();
        return r;
    }

    static float[] floats(JsonNode a) {
        float[] r = new float[a.size()];
        for (int i = 0; i < r.length; i++) r[i] = (float) a.get(i).asDouble();
        return r;
    }
}
