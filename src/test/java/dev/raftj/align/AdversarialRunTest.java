package dev.raftj.align;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.raftj.model.RewardModel;
import dev.raftj.tasks.Tasks;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * RLGAF end to end on RaftRunTest's arith slice: the reward is a discriminator trained each stage on
 * reference answers ({"prompt", "response"} from arith's own answers) vs the stage's samples;
 * metrics, checkpoint (weights + optimizer + replayed samples), exact resume, the warm-up, the
 * HF-format discriminator, GRPO and PPO with a weighted sum.
 */
class AdversarialRunTest {

    /** RaftRunTest's slice with reward REWARD, references from 40 other arith prompts' answers, and this discriminator section. */
    static Path config(Path tmp, int stages, String reward, String discriminator) throws Exception {
        Path cfg = RaftRunTest.config(tmp, stages);
        List<String> refs = new ArrayList<>();
        for (String line : Files.readAllLines(Tasks.get("arith").trainFile()).subList(100, 140)) {
            var n = new com.fasterxml.jackson.databind.ObjectMapper().readTree(line);
            refs.add("{\"prompt\": \"" + n.get("prompt").asText() + "\", \"response\": \"" + n.get("answer").asText() + "\"}");
        }
        Files.write(tmp.resolve("refs.jsonl"), refs);
        Files.writeString(cfg, Files.readString(cfg).replace("reward: task:arith", "reward: " + reward)
                + "discriminator: {references: refs.jsonl, lr: 0.001, steps_per_stage: 3, batch_size: 8" + discriminator + "}\n");
        return cfg;
    }

    @Test
    void eachStageScoresWithTheDiscriminatorThenTrainsItAndTheRunKeepsIt(@TempDir Path tmp) throws Exception {
        Path out = tmp.resolve("run");
        Path cfg = config(tmp, 2, "adversarial", ", measure: task:arith");
        assertEquals(0, RaftRunTest.raftj("align", "--config", cfg.toString(), "--out", out.toString()));
        List<StageMetrics> lines = MetricsLog.read(out.resolve("metrics.jsonl"));
        assertEquals(3, lines.size());
        assertNull(lines.get(0).discAccuracy(), "stage 0 has no discriminator step");
        for (int i = 1; i < 3; i++) {
            StageMetrics s = lines.get(i);
            assertTrue(s.discAccuracy() >= 0 && s.discAccuracy() <= 1, s.toString());
            assertTrue(s.discLoss() > 0 && s.discTrainLoss() > 0, s.toString());
            assertEquals(s.rewardMean(), s.discRewardMean(), 1e-9, "the reward is the discriminator's logit: " + s);
            assertNotNull(s.refOverlap(), s.toString());
            assertTrue(s.measureMean() >= 0 && s.measureMean() <= 1, "arith's 0/1 reward as the independent measure: " + s);
            assertTrue(s.time().containsKey("discriminator"), s.time().toString());
        }
        // alternation: the discriminator that scored stage 1 was trained before stage 2, and its
        // loss on stage-2's (fresh) samples is measured before it trains on them
        assertTrue(!lines.get(1).discTrainLoss().equals(lines.get(2).discTrainLoss()));
        Path disc = RunState.checkpointDir(out).resolve(Discriminator.DIR);
        assertNotNull(RewardModel.load(disc), "HF sequence-classification folder, as raftj score reads it");
        assertTrue(Files.exists(RunState.checkpointDir(out).resolve(Discriminator.OPTIMIZER)));
        String line = Files.readAllLines(out.resolve("metrics.jsonl")).get(1);
        assertTrue(line.contains("\"disc_accuracy\"") && line.contains("\"ref_overlap\""), line);
        assertTrue(!Files.readAllLines(out.resolve("metrics.jsonl")).get(0).contains("disc_"), "absent where it does not apply");
        assertTrue(lines.get(0).evalMeasure() >= 0 && lines.get(0).evalMeasure() <= 1, "the base policy's held-out measure");
        assertNotNull(lines.get(2).evalMeasure());
    }

    @Test
    void aWarmUpTrainsTheDiscriminatorBeforeItScoresStageOne(@TempDir Path tmp) throws Exception {
        Path cold = tmp.resolve("cold"), warm = tmp.resolve("warm");
        assertEquals(0, RaftRunTest.raftj("align", "--config", config(tmp, 1, "adversarial", "").toString(), "--out", cold.toString()));
        assertEquals(0, RaftRunTest.raftj("align", "--config", config(tmp, 1, "adversarial", ", warmup_steps: 3").toString(),
                "--out", warm.toString()));
        StageMetrics c = MetricsLog.read(cold.resolve("metrics.jsonl")).get(1), w = MetricsLog.read(warm.resolve("metrics.jsonl")).get(1);
        assertEquals(c.rewardMean(), c.discRewardMean(), 1e-9);
        assertNotEquals(c.discRewardMean(), w.discRewardMean(), "stage 1 is scored by the warmed-up discriminator");
        assertTrue(w.discLoss() < c.discLoss(), "3 steps on references vs base samples lower its held-out loss: "
                + w.discLoss() + " vs " + c.discLoss());
    }

    @Test
    void resumeRestoresTheDiscriminatorAndItsOptimizerExactly(@TempDir Path tmp) throws Exception {
        Path cfg = config(tmp, 3, "adversarial", ", label_smoothing: 0.1, reward: logsigmoid, replay: 1, warmup_steps: 2");
        Path whole = tmp.resolve("whole"), parts = tmp.resolve("parts");
        assertEquals(0, RaftRunTest.raftj("align", "--config", cfg.toString(), "--out", whole.toString()));
        assertEquals(0, RaftRunTest.raftj("align", "--config", cfg.toString(), "--out", parts.toString(), "--stages", "1"));
        assertEquals(0, RaftRunTest.raftj("align", "--resume", parts.toString(), "--stages", "3"));
        RaftRunTest.assertSameMetrics(whole, parts);
        List<StageMetrics> a = MetricsLog.read(whole.resolve("metrics.jsonl")), b = MetricsLog.read(parts.resolve("metrics.jsonl"));
        List<Function<StageMetrics, Object>> keys = List.of(StageMetrics::discAccuracy, StageMetrics::discLoss,
                StageMetrics::discTrainLoss, StageMetrics::discRewardMean, StageMetrics::refOverlap);
        for (int i = 0; i < a.size(); i++) for (var k : keys) assertEquals(k.apply(a.get(i)), k.apply(b.get(i)), "stage " + i);
        assertTrue(a.get(3).discRewardMean() < 0, "log-sigmoid rewards are negative");
        assertTrue(Files.exists(RunState.checkpointDir(parts).resolve(Adversarial.REPLAY)), "the replayed samples are checkpointed");
    }

    @Test
    void grpoAndPpoTakeTheDiscriminatorInAWeightedSumAndRestIsRefused(@TempDir Path tmp) throws Exception {
        Path cfg = config(tmp, 1, "{sum: [{adversarial: {}, weight: 0.5}, {task: arith, weight: 1.0}]}", "");
        String base = Files.readString(cfg);
        for (String algorithm : List.of("grpo", "ppo")) {
            Files.writeString(cfg, base + "algorithm: " + algorithm + "\n" + algorithm + ": {stages: 1, batch_prompts: 4, lr: 0.0003}\n");
            Path out = tmp.resolve(algorithm);
            assertEquals(0, RaftRunTest.raftj("align", "--config", cfg.toString(), "--out", out.toString()));
            StageMetrics s = MetricsLog.read(out.resolve("metrics.jsonl")).get(1);
            assertNotNull(s.discAccuracy(), s.toString());
            assertNotNull(algorithm.equals("ppo") ? s.valueLoss() : s.policyLoss(), s.toString());
            assertTrue(Files.isDirectory(RunState.checkpointDir(out).resolve(Discriminator.DIR)));
        }
        assertTrue(Files.isDirectory(RunState.checkpointDir(tmp.resolve("ppo")).resolve(Critics.DIR)));
        Files.writeString(cfg, base + "algorithm: rest\n");
        String err = RaftRunTest.raftjError(1, "align", "--config", cfg.toString(), "--out", tmp.resolve("never").toString());
        assertTrue(err.contains("reward") && err.contains("adversarial") && err.contains("rest"), err);
    }
}
