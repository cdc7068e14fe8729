package dev.raftj.align;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.raftj.Reference;
import dev.raftj.cli.Main;
import dev.raftj.model.CausalLM;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** RAFT end to end on a tiny setting: metrics contract, checkpoint, and exact resume. */
class RaftRunTest {

    static Path config(Path tmp, int stages) throws Exception {
        Path model = Reference.model("gpt2-tiny");
        StringBuilder prompts = new StringBuilder();
        for (int i = 0; i < 12; i++) prompts.append("{\"prompt\": \"").append(i).append("+1=\", \"answer\": \"")
                .append(i + 1).append("\"}\n");
        Files.writeString(tmp.resolve("prompts.jsonl"), prompts);
        Path cfg = tmp.resolve("run.yaml");
        Files.writeString(cfg, String.join("\n",
                "model: " + model,
                "reward: exact",
                "prompts: prompts.jsonl",
                "eval_fraction: 0.25",
                "batch_prompts: 3",
                "stages: " + stages,
                "seed: 5",
                "threads: 1",
                "sampling: {k: 4, temperature: 1.0, max_new_tokens: 4}",
                "ranking: {mode: local, m: 1}",
                "sft: {epochs: 2, lr: 0.001, batch_size: 2}", ""));
        return cfg;
    }

    static int raftj(String... args) {
        return Main.run(new PrintWriter(new StringWriter(), true), new PrintWriter(System.err, true), args);
    }

    @Test
    void writesTheMetricsContractAndAHfCheckpoint(@TempDir Path tmp) throws Exception {
        Path out = tmp.resolve("run");
        assertEquals(0, raftj("align", "--config", config(tmp, 2).toString(), "--out", out.toString()));
        List<Map<String, Object>> lines = MetricsLog.read(out.resolve("metrics.jsonl"));
        assertEquals(3, lines.size(), "stage 0 (base evaluation) + 2 stages");
        for (int i = 0; i < lines.size(); i++) {
            assertEquals(i, ((Number) lines.get(i).get("stage")).intValue());
            for (String key : List.of("reward_mean", "reward_kept_mean", "eval_reward", "kl", "seconds")) {
                assertTrue(lines.get(i).containsKey(key), key + " in stage " + i);
            }
        }
        Map<String, Object> s1 = lines.get(1);
        assertTrue(((Number) s1.get("reward_kept_mean")).doubleValue() >= ((Number) s1.get("reward_mean")).doubleValue(),
                "the kept set is at least as good as the mean");
        assertTrue(Files.exists(out.resolve("summary.json")));
        byte[] png = Files.readAllBytes(out.resolve("metrics.png"));
        assertTrue(png.length > 1000 && png[1] == 'P' && png[2] == 'N' && png[3] == 'G', "a PNG plot beside the log");
        assertNotNull(CausalLM.load(RunState.checkpointDir(out)), "the checkpoint is an HF-format folder");
    }

    @Test
    void resumeAfterAnInterruptionGivesTheSameMetrics(@TempDir Path tmp) throws Exception {
        Path cfg = config(tmp, 3);
        Path whole = tmp.resolve("whole"), parts = tmp.resolve("parts");
        assertEquals(0, raftj("align", "--config", cfg.toString(), "--out", whole.toString()));
        // The interrupted run stopped after stage 1 (as if killed during stage 2) ...
        assertEquals(0, raftj("align", "--config", cfg.toString(), "--out", parts.toString(), "--stages", "1"));
        // ... and a half-written stage 2 line must not survive the resume.
        Files.writeString(parts.resolve("metrics.jsonl"), "{\"stage\": 2, \"partial\": true}\n",
                java.nio.file.StandardOpenOption.APPEND);
        Path saved = parts.resolve("config.json");
        Files.writeString(saved, Files.readString(saved).replace("\"stages\" : 1", "\"stages\" : 3"));
        assertEquals(0, raftj("align", "--resume", parts.toString()));
        assertSameMetrics(whole, parts, List.of("stage", "reward_mean", "reward_kept_mean", "eval_reward", "kl", "train_loss"));
    }

    /** A separate JVM runs the same alignment and is killed (SIGKILL) during a stage after stage 1. */
    @Test
    void killedMidStageThenResumedEqualsAnUninterruptedRun(@TempDir Path tmp) throws Exception {
        Path cfg = config(tmp, 6);
        Path whole = tmp.resolve("whole"), killed = tmp.resolve("killed");
        assertEquals(0, raftj("align", "--config", cfg.toString(), "--out", whole.toString()));
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        ProcessBuilder pb = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"), "dev.raftj.cli.Main",
                "align", "--config", cfg.toString(), "--out", killed.toString()).redirectErrorStream(true)
                .redirectOutput(tmp.resolve("killed.log").toFile());
        Process p = pb.start();
        Path trainer = RunState.checkpointDir(killed).resolve("trainer.json");
        long deadline = System.nanoTime() + 120_000_000_000L;
        while (p.isAlive() && !Files.exists(trainer) && System.nanoTime() < deadline) Thread.sleep(5);
        p.destroyForcibly().waitFor();
        int finished = MetricsLog.read(killed.resolve("metrics.jsonl")).size() - 1;
        org.junit.jupiter.api.Assumptions.assumeTrue(finished < 6, "the child finished before it could be killed");
        assertEquals(0, raftj("align", "--resume", killed.toString()));
        assertSameMetrics(whole, killed, List.of("stage", "reward_mean", "reward_kept_mean", "eval_reward", "kl", "train_loss"));
    }

    /** Bad configuration: an error naming the file, line and field, before the output folder exists. */
    @Test
    void badConfigurationIsReportedBeforeAnyWork(@TempDir Path tmp) throws Exception {
        Path cfg = config(tmp, 1), out = tmp.resolve("never");
        String good = Files.readString(cfg);
        String[][] cases = {
                {good.replace("k: 4", "k: 0"), "field 'sampling.k'"},
                {good + "stagez: 3\n", "unknown key 'stagez'"},
                {good.replace("stages: 1", "stages: three"), "field 'stages'"},
                {good.replace("model: ", "model: /nonexistent"), "field 'model'"},
        };
        for (String[] c : cases) {
            Files.writeString(cfg, c[0]);
            java.io.StringWriter err = new java.io.StringWriter();
            int code = Main.run(new PrintWriter(new StringWriter(), true), new PrintWriter(err, true),
                    "align", "--config", cfg.toString(), "--out", out.toString());
            assertEquals(1, code, err.toString());
            assertTrue(err.toString().contains(cfg.toString()) && err.toString().contains(c[1]), err.toString());
            assertTrue(!Files.exists(out), "nothing written for: " + c[1]);
        }
        Files.writeString(tmp.resolve("prompts.jsonl"), "");
        Files.writeString(cfg, good);
        StringWriter err = new StringWriter();
        assertEquals(1, Main.run(new PrintWriter(new StringWriter(), true), new PrintWriter(err, true),
                "align", "--config", cfg.toString(), "--out", out.toString()));
        assertTrue(err.toString().contains("prompts.jsonl"), err.toString());
    }

    /** The runs in two output folders logged the same values for these keys at every stage. */
    static void assertSameMetrics(Path expected, Path actual, List<String> keys) {
        List<Map<String, Object>> a = MetricsLog.read(expected.resolve("metrics.jsonl"));
        List<Map<String, Object>> b = MetricsLog.read(actual.resolve("metrics.jsonl"));
        assertEquals(a.size(), b.size());
        for (int i = 0; i < a.size(); i++) {
            for (String key : keys) assertEquals(a.get(i).get(key), b.get(i).get(key), key + " at stage " + i);
        }
    }
}
