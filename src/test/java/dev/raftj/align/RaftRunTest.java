package dev.raftj.align;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.raftj.cli.Main;
import dev.raftj.model.CausalLM;
import dev.raftj.tasks.Task;
import dev.raftj.tasks.Tasks;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * RAFT end to end on a slice of the arith task (its shipped policy answers about a third of the
 * prompts right, so rewards vary within a prompt's samples): selection, metrics, checkpoint, the
 * folder rules, and exact resume.
 */
class RaftRunTest {

    /** A run.yaml over 24 arith training prompts and 16 held-out ones (k 4, 4 prompts a stage). */
    static Path config(Path tmp, int stages) throws Exception {
        return arithConfig(tmp, 24, 16, "{k: 4, temperature: 1.0, max_new_tokens: 6}", "{epochs: 2, lr: 0.001, batch_size: 2}",
                "{stages: " + stages + ", batch_prompts: 4, ranking: {mode: local, m: 1}}");
    }

    /** A run.yaml over the first {@code train} and {@code eval} arith prompts, seed 5, one thread. */
    static Path arithConfig(Path tmp, int train, int eval, String sampling, String sft, String raft) throws Exception {
        Task arith = Tasks.get("arith");
        Files.write(tmp.resolve("train.jsonl"), Files.readAllLines(arith.trainFile()).subList(0, train));
        Files.write(tmp.resolve("eval.jsonl"), Files.readAllLines(arith.evalFile()).subList(0, eval));
        Path cfg = tmp.resolve("run.yaml");
        Files.writeString(cfg, String.join("\n",
                "model: " + arith.policy(),
                "reward: task:arith",
                "prompts: train.jsonl",
                "eval_prompts: eval.jsonl",
                "seed: 5",
                "threads: 1",
                "sampling: " + sampling,
                "sft: " + sft,
                "raft: " + raft, ""));
        return cfg;
    }

    static int raftj(String... args) {
        return Main.run(new PrintWriter(new StringWriter(), true), new PrintWriter(System.err, true), args);
    }

    /** Exit code and standard error of a raftj command. */
    static String raftjError(int expectedCode, String... args) {
        StringWriter err = new StringWriter();
        int code = Main.run(new PrintWriter(new StringWriter(), true), new PrintWriter(err, true), args);
        assertEquals(expectedCode, code, err.toString());
        return err.toString();
    }

    @Test
    void keepsTheBestOfEachPromptAndWritesTheMetricsContract(@TempDir Path tmp) throws Exception {
        Path out = tmp.resolve("run");
        assertEquals(0, raftj("align", "--config", config(tmp, 2).toString(), "--out", out.toString()));
        List<StageMetrics> lines = MetricsLog.read(out.resolve("metrics.jsonl"));
        assertEquals(3, lines.size(), "stage 0 (base evaluation) + 2 stages");
        assertEquals(0.0, lines.get(0).kl(), "the base policy is π0: KL exactly 0");
        assertEquals(null, lines.get(0).rewardMean(), "stage 0 has no samples");
        for (int i = 1; i < 3; i++) {
            StageMetrics s = lines.get(i);
            assertEquals(i, s.stage());
            assertEquals(4, s.kept(), "local top-1: one sample per prompt");
            assertTrue(s.rewardMax() > 0 && s.rewardMean() < 1, "rewards vary: " + s);
            assertTrue(s.rewardKeptMean() > s.rewardMean(), "the kept set beats the mean: " + s);
            assertNotNull(s.evalReward());
        }
        for (int i = 1; i < 3; i++) {
            assertTrue(lines.get(i).kl() > 0.01, "KL is the updated policy's (it moved away from π0): " + lines.get(i));
        }
        assertTrue(Files.exists(out.resolve("summary.json")));
        byte[] png = Files.readAllBytes(out.resolve("metrics.png"));
        assertTrue(png.length > 1000 && png[1] == 'P' && png[2] == 'N' && png[3] == 'G', "a PNG plot beside the log");
        assertNotNull(CausalLM.load(RunState.checkpointDir(out)), "the checkpoint is an HF-format folder");
    }

    /** sft.micro_batch_size reaches the trainer; left out, the trainer runs the whole batch at once. */
    @Test
    void microBatchSizeReachesTheTrainer(@TempDir Path tmp) throws Exception {
        for (String sft : new String[] {"{batch_size: 4, micro_batch_size: 1}", "{batch_size: 4}"}) {
            Path dir = Files.createDirectories(tmp.resolve(sft.length() > 16 ? "micro" : "whole"));
            Path cfg = arithConfig(dir, 8, 4, "{k: 2, max_new_tokens: 4}", sft, "{stages: 1, batch_prompts: 4}");
            dev.raftj.config.RunConfig c = dev.raftj.config.ConfigLoader.load(cfg, dev.raftj.config.RunConfig.class);
            RunState state = RunState.fresh(dir.resolve("run"), c);
            try (dev.raftj.train.SftStep trainer = state.trainer(CausalLM.load(java.nio.file.Path.of(c.model())))) {
                assertEquals(sft.length() > 16 ? 1 : 4, trainer.microBatchRows(), sft);
            }
        }
    }

    @Test
    void aNewRunRefusesAFolderThatHoldsAnything(@TempDir Path tmp) throws Exception {
        Path out = Files.createDirectories(tmp.resolve("used"));
        Files.writeString(out.resolve("grow-1.jsonl"), "{}\n");
        String err = raftjError(1, "align", "--config", config(tmp, 1).toString(), "--out", out.toString());
        assertTrue(err.contains("not empty") && err.contains("grow-1.jsonl") && err.contains("--resume"), err);
        assertEquals(List.of("grow-1.jsonl"), Files.list(out).map(p -> p.getFileName().toString()).toList());
    }

    @Test
    void resumeAfterAnInterruptionGivesTheSameMetrics(@TempDir Path tmp) throws Exception {
        Path cfg = config(tmp, 3);
        Path whole = tmp.resolve("whole"), parts = tmp.resolve("parts");
        assertEquals(0, raftj("align", "--config", cfg.toString(), "--out", whole.toString()));
        // The interrupted run stopped after stage 1 (as if killed during stage 2) ...
        assertEquals(0, raftj("align", "--config", cfg.toString(), "--out", parts.toString(), "--stages", "1"));
        // ... and a half-written stage 2 line must not survive the resume.
        Files.writeString(parts.resolve("metrics.jsonl"), "{\"stage\": 2, \"partial\": tr",
                java.nio.file.StandardOpenOption.APPEND);
        assertEquals(0, raftj("align", "--resume", parts.toString(), "--stages", "3"));
        assertSameMetrics(whole, parts);
        assertTrue(Files.readString(parts.resolve("config.json")).contains("\"stages\" : 3"), "the run's length is saved");
    }

    /** A resumed run is the same run: other settings, other flags and damaged logs are refused, naming what is wrong. */
    @Test
    void resumeRefusesAnythingThatWouldMixTwoRuns(@TempDir Path tmp) throws Exception {
        Path cfg = config(tmp, 2), run = tmp.resolve("run");
        assertEquals(0, raftj("align", "--config", cfg.toString(), "--out", run.toString(), "--stages", "1"));
        Path saved = run.resolve("config.json");
        String good = Files.readString(saved);
        Files.writeString(saved, good.replace("\"lr\" : 0.001", "\"lr\" : 0.002"));
        String err = raftjError(1, "align", "--resume", run.toString());
        assertTrue(err.contains("field 'sft.lr': 0.001 vs 0.002"), err);
        Files.writeString(saved, good);
        for (String[] flags : new String[][] {{"--algorithm", "rest-em"}, {"--config", cfg.toString()},
                {"--task", "arith"}, {"--out", tmp.resolve("x").toString()}}) {
            err = raftjError(1, "align", "--resume", run.toString(), flags[0], flags[1]);
            assertTrue(err.contains(flags[0] + ": not allowed with --resume"), err);
        }
        Path metrics = run.resolve("metrics.jsonl");
        List<String> lines = Files.readAllLines(metrics);
        Files.write(metrics, lines.subList(1, 2));
        err = raftjError(1, "align", "--resume", run.toString());
        assertTrue(err.contains("metrics.jsonl: line 1 is stage 1, expected stage 0"), err);
        Files.write(metrics, lines.subList(0, 1));
        err = raftjError(1, "align", "--resume", run.toString());
        assertTrue(err.contains("metrics.jsonl: ends at stage 0, but the checkpoint is after stage 1"), err);
        Files.write(metrics, List.of("{\"stage\": 0,", lines.get(1)));
        err = raftjError(1, "align", "--resume", run.toString());
        assertTrue(err.contains("metrics.jsonl:1: not a metrics line"), err);
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
        int finished = MetricsLog.read(killed.resolve("metrics.jsonl"), true).size() - 1;
        org.junit.jupiter.api.Assumptions.assumeTrue(finished < 6, "the child finished before it could be killed");
        assertEquals(0, raftj("align", "--resume", killed.toString()));
        assertSameMetrics(whole, killed);
    }

    /** Bad configuration: an error naming the file, line and field, before the output folder exists. */
    @Test
    void badConfigurationIsReportedBeforeAnyWork(@TempDir Path tmp) throws Exception {
        Path cfg = config(tmp, 1), out = tmp.resolve("never");
        String good = Files.readString(cfg);
        String[][] cases = {
                {good.replace("k: 4", "k: 0"), "field 'sampling.k'"},
                {good + "stagez: 3\n", "unknown key 'stagez'"},
                {good.replace("stages: 1", "stages: three"), "field 'raft.stages'"},
                {good.replace("model: ", "model: /nonexistent"), "field 'model'"},
        };
        for (String[] c : cases) {
            Files.writeString(cfg, c[0]);
            String err = raftjError(1, "align", "--config", cfg.toString(), "--out", out.toString());
            assertTrue(err.contains(cfg.toString()) && err.contains(c[1]), err);
            assertFalse(Files.exists(out), "nothing written for: " + c[1]);
        }
        Files.writeString(tmp.resolve("train.jsonl"), "{\"prompt\": \"\", \"answer\": \"1\"}\n");
        Files.writeString(cfg, good);
        String err = raftjError(1, "align", "--config", cfg.toString(), "--out", out.toString());
        assertTrue(err.contains("train.jsonl:1: the prompt is empty"), err);
        assertFalse(Files.exists(out));
    }

    /** The runs in two output folders logged the same values at every stage (times and memory aside). */
    static void assertSameMetrics(Path expected, Path actual) {
        List<StageMetrics> a = MetricsLog.read(expected.resolve("metrics.jsonl"));
        List<StageMetrics> b = MetricsLog.read(actual.resolve("metrics.jsonl"));
        assertEquals(a.size(), b.size());
        List<Function<StageMetrics, Object>> keys = List.of(StageMetrics::stage, StageMetrics::rewardMean,
                StageMetrics::rewardKeptMean, StageMetrics::kept, StageMetrics::trainLoss, StageMetrics::evalReward,
                StageMetrics::evalRewardSampled, StageMetrics::kl, StageMetrics::cut);
        for (int i = 0; i < a.size(); i++) {
            for (Function<StageMetrics, Object> key : keys) {
                assertEquals(key.apply(a.get(i)), key.apply(b.get(i)), "stage " + i + ": " + a.get(i) + " vs " + b.get(i));
            }
        }
    }
}
