package dev.raftj.align;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** ReST and ReST-EM on the tiny RAFT test setting: stage layout, Grow files, exact resume. */
class RestRunTest {

    static Path restConfig(Path tmp, String algorithm, int growSteps) throws Exception {
        Path cfg = RaftRunTest.config(tmp, 1);
        Files.writeString(cfg, Files.readString(cfg) + "algorithm: " + algorithm + "\n"
                + "rest: {grow_steps: " + growSteps + ", thresholds: [0.0, 0.5], improve_lr_decay: 0.5}\n");
        return cfg;
    }

    @Test
    void restRunsOneImproveStepPerThresholdAndWritesGrowSets(@TempDir Path tmp) throws Exception {
        Path out = tmp.resolve("rest");
        assertEquals(0, RaftRunTest.raftj("align", "--config", restConfig(tmp, "rest", 2).toString(), "--out", out.toString()));
        List<Map<String, Object>> lines = MetricsLog.read(out.resolve("metrics.jsonl"));
        assertEquals(5, lines.size(), "base + 2 grow steps × 2 thresholds");
        assertEquals(0.0, ((Number) lines.get(1).get("threshold")).doubleValue());
        assertEquals(0.5, ((Number) lines.get(2).get("threshold")).doubleValue());
        assertEquals(2, ((Number) lines.get(4).get("grow")).intValue());
        assertTrue(((Number) lines.get(1).get("kept")).intValue() >= ((Number) lines.get(2).get("kept")).intValue(),
                "a higher threshold keeps no more samples");
        List<String> grow = Files.readAllLines(out.resolve("grow-1.jsonl"));
        assertEquals(3 * 4, grow.size(), "b prompts × k samples");
        assertTrue(grow.get(0).contains("\"reward\""));
    }

    @Test
    void restEmKeepsOnlyCorrectSamples(@TempDir Path tmp) throws Exception {
        Path out = tmp.resolve("em");
        assertEquals(0, RaftRunTest.raftj("align", "--config", restConfig(tmp, "rest-em", 2).toString(), "--out", out.toString()));
        List<Map<String, Object>> lines = MetricsLog.read(out.resolve("metrics.jsonl"));
        assertEquals(3, lines.size(), "base + 2 iterations");
        for (Map<String, Object> l : lines.subList(1, 3)) {
            if (((Number) l.get("kept")).intValue() > 0) assertEquals(1.0, ((Number) l.get("reward_kept_mean")).doubleValue());
        }
    }

    @Test
    void restResumesMidGrowWithTheSameMetrics(@TempDir Path tmp) throws Exception {
        Path cfg = restConfig(tmp, "rest", 2);
        Path whole = tmp.resolve("whole"), parts = tmp.resolve("parts");
        assertEquals(0, RaftRunTest.raftj("align", "--config", cfg.toString(), "--out", whole.toString()));
        Path cut = tmp.resolve("cut.yaml");
        Files.writeString(cut, Files.readString(cfg).replace("grow_steps: 2", "grow_steps: 1"));
        assertEquals(0, RaftRunTest.raftj("align", "--config", cut.toString(), "--out", parts.toString()));
        Path saved = parts.resolve("config.json");
        Files.writeString(saved, Files.readString(saved).replace("\"grow_steps\" : 1", "\"grow_steps\" : 2"));
        assertEquals(0, RaftRunTest.raftj("align", "--resume", parts.toString()));
        RaftRunTest.assertSameMetrics(whole, parts, List.of("stage", "reward_mean", "kept", "eval_reward", "train_loss"));
    }
}
