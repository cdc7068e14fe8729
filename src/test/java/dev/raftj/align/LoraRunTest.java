package dev.raftj.align;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.raftj.lora.PeftFiles;
import dev.raftj.model.SafeTensors;
import dev.raftj.tasks.Tasks;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Alignment with {@code sft.lora}: only the adapter trains and is checkpointed (in PEFT's layout),
 * π0 is the base with the adapter off, resume is bit-exact, and every algorithm accepts it.
 */
class LoraRunTest {
    private static final String LORA = "sft.lora={r: 4, alpha: 16, target_modules: [c_attn, c_proj]}";

    @Test
    void raftTrainsAndCheckpointsOnlyTheAdapterAndResumesBitExact(@TempDir Path tmp) throws Exception {
        Path cfg = RaftRunTest.config(tmp, 2);
        Path whole = tmp.resolve("whole"), parts = tmp.resolve("parts");
        assertEquals(0, RaftRunTest.raftj("align", "--config", cfg.toString(), "--out", whole.toString(), "--set", LORA));
        assertEquals(0, RaftRunTest.raftj("align", "--config", cfg.toString(), "--out", parts.toString(), "--set", LORA,
                "--stages", "1"));
        assertEquals(0, RaftRunTest.raftj("align", "--resume", parts.toString(), "--stages", "2"));
        RaftRunTest.assertSameMetrics(whole, parts);
        Path ckpt = RunState.checkpointDir(whole);
        assertArrayEquals(Files.readAllBytes(ckpt.resolve(PeftFiles.WEIGHTS)),
                Files.readAllBytes(RunState.checkpointDir(parts).resolve(PeftFiles.WEIGHTS)), "the resumed run's adapter");
        assertEquals(archiveTensors(ckpt.resolve("optimizer.pt")),
                archiveTensors(RunState.checkpointDir(parts).resolve("optimizer.pt")), "the resumed run's AdamW state");
        assertEquals(List.of(PeftFiles.CONFIG, PeftFiles.WEIGHTS, "optimizer.pt", "trainer.json"),
                Files.list(ckpt).map(p -> p.getFileName().toString()).sorted().toList(),
                "the checkpoint holds the adapter and its optimizer state, no copy of the base weights");
        var adapter = SafeTensors.read(ckpt.resolve(PeftFiles.WEIGHTS));
        int layers = dev.raftj.model.ModelConfig.load(Tasks.get("arith").policy()).layers;
        assertEquals(2 * 3 * layers, adapter.size(), "A and B for c_attn, attn.c_proj and mlp.c_proj of each layer: "
                + adapter.keySet());
        List<StageMetrics> lines = MetricsLog.read(whole.resolve("metrics.jsonl"));
        assertEquals(0.0, lines.get(0).kl(), "stage 0: the policy is the base (B = 0), π0 the base with the adapter off");
        assertTrue(lines.get(2).kl() != 0, "the adapter moved the policy away from π0: " + lines.get(2));
        java.io.StringWriter out = new java.io.StringWriter();
        int code = dev.raftj.cli.Main.run(new java.io.PrintWriter(out, true), new java.io.PrintWriter(System.err, true),
                "generate", "--model", Tasks.get("arith").policy().toString(), "--adapter", ckpt.toString(),
                "--prompt", "12+35=", "--max-new-tokens", "3", "--greedy");
        assertEquals(0, code);
        assertTrue(out.toString().startsWith("12+35="), "raftj generate --adapter reads the run's adapter: " + out);
        // align --adapter continues that adapter: stage 0 evaluates base + adapter, not the base
        Path cont = tmp.resolve("continued");
        assertEquals(0, RaftRunTest.raftj("align", "--config", cfg.toString(), "--out", cont.toString(), "--stages", "1",
                "--adapter", ckpt.toString()));
        StageMetrics first = MetricsLog.read(cont.resolve("metrics.jsonl")).get(0);
        assertEquals(lines.get(2).kl(), first.kl(), "the same policy against the same π0 on the same seeded samples");
        assertEquals(lines.get(2).evalReward(), first.evalReward());
        String err = RaftRunTest.raftjError(1, "align", "--config", cfg.toString(), "--out", tmp.resolve("bad").toString(),
                "--set", "sft.lora.r=0");
        assertTrue(err.contains("field 'sft.lora.r': must be >= 1"), err);
    }

    @ParameterizedTest
    @ValueSource(strings = {"rest", "rest-em", "grpo", "ppo", "adversarial"})
    void everyAlgorithmTrainsAnAdapter(String algorithm, @TempDir Path tmp) throws Exception {
        Path cfg = algorithm.equals("adversarial") ? AdversarialRunTest.config(tmp, 1, "adversarial", "")
                : RaftRunTest.config(tmp, 1);
        String extra = switch (algorithm) {
            case "rest", "rest-em" -> "rest: {grow_steps: 1, thresholds: [0.5], grow_prompts: 4}\n";
            case "grpo" -> "grpo: {stages: 1, batch_prompts: 4, lr: 0.001, iterations: 1, beta: 0.1}\n";
            case "ppo" -> "ppo: {stages: 1, batch_prompts: 4, lr: 0.001}\n";
            default -> "";
        };
        Files.writeString(cfg, Files.readString(cfg) + extra);
        Path out = tmp.resolve("run");
        String[] args = algorithm.equals("adversarial")
                ? new String[] {"align", "--config", cfg.toString(), "--out", out.toString(), "--set", LORA}
                : new String[] {"align", "--config", cfg.toString(), "--out", out.toString(), "--set", LORA,
                "--algorithm", algorithm};
        assertEquals(0, RaftRunTest.raftj(args));
        Path ckpt = RunState.checkpointDir(out);
        assertTrue(PeftFiles.isAdapter(ckpt), algorithm + " checkpoints the adapter");
        assertFalse(Files.exists(ckpt.resolve(SafeTensors.SINGLE)), algorithm + ": no base weights in the checkpoint");
        List<StageMetrics> lines = MetricsLog.read(out.resolve("metrics.jsonl"));
        assertTrue(lines.get(lines.size() - 1).kl() != 0, algorithm + ": the adapter moved the policy: " + lines);
    }

    /**
     * The tensors' bytes in a LibTorch archive, sorted: LibTorch writes AdamW's per-parameter state
     * in hash-map order (keyed by addresses), so equal states can be laid out differently.
     */
    static List<String> archiveTensors(Path file) throws Exception {
        List<String> out = new java.util.ArrayList<>();
        try (var zip = new java.util.zip.ZipFile(file.toFile())) {
            for (var e : java.util.Collections.list(zip.entries())) {
                if (!e.getName().contains("/data/")) continue;
                try (var in = zip.getInputStream(e)) {
                    out.add(java.util.HexFormat.of().formatHex(in.readAllBytes()));
                }
            }
        }
        java.util.Collections.sort(out);
        return out;
    }
}
