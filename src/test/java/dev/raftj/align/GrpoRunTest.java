package dev.raftj.align;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.raftj.model.CausalLM;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** GRPO end to end on the arith slice of {@link RaftRunTest}: group advantages, the clipped loss, metrics, exact resume. */
class GrpoRunTest {

    /** RaftRunTest's slice (k 4, 4 prompts a stage) run as GRPO with this {@code grpo:} section. */
    static Path grpoConfig(Path tmp, String grpo) throws Exception {
        Path cfg = RaftRunTest.config(tmp, 1);
        Files.writeString(cfg, Files.readString(cfg) + "algorithm: grpo\ngrpo: " + grpo + "\n");
        return cfg;
    }

    @Test
    void onlyPromptsWhoseRewardsDifferCarrySignalAndThePolicyMoves(@TempDir Path tmp) throws Exception {
        Path out = tmp.resolve("run");
        Path cfg = grpoConfig(tmp, "{stages: 2, batch_prompts: 4, lr: 0.0003, iterations: 2, minibatches: 2}");
        assertEquals(0, RaftRunTest.raftj("align", "--config", cfg.toString(), "--out", out.toString()));
        List<StageMetrics> lines = MetricsLog.read(out.resolve("metrics.jsonl"));
        assertEquals(3, lines.size(), "stage 0 (base evaluation) + 2 stages");
        assertNull(lines.get(0).policyLoss(), "stage 0 has no update");
        for (int i = 1; i < 3; i++) {
            StageMetrics s = lines.get(i);
            assertTrue(s.rewardMax() > 0 && s.rewardMean() < 1, "rewards vary: " + s);
            // arith's reward is 0/1: a prompt's K samples have non-zero advantages exactly when its
            // rewards are not all equal, so the samples with signal are K × the prompts with spread
            assertEquals(Math.round(16 * (1 - s.fracRewardZeroStd())), (long) s.kept(), "samples with signal: " + s);
            assertTrue(s.fracRewardZeroStd() < 1, "some prompt has spread: " + s);
            assertTrue(s.clipFraction() > 0 && s.clipFraction() < 1, "the second iteration clips some tokens: " + s);
            assertTrue(s.approxKl() > 0, "the policy moved away from the sampling policy within the stage: " + s);
            assertTrue(s.entropy() > 0, s.toString());
            assertNull(s.klRef(), "β 0: no reference forward");
            assertNull(s.valueLoss(), "no critic in GRPO");
            assertTrue(s.kl() > 0.01, "KL(π‖π0) of the updated policy: " + s);
            assertEquals(s.policyLoss(), s.trainLoss());
        }
        assertNotNull(CausalLM.load(RunState.checkpointDir(out)), "the checkpoint is an HF-format folder");
        String line = Files.readAllLines(out.resolve("metrics.jsonl")).get(1);
        assertTrue(line.contains("\"clip_fraction\"") && !line.contains("\"value_loss\""), line);
    }

    /** A reward that never varies leaves every advantage 0: with β 0 the loss has no gradient and the policy stays π0. */
    @Test
    void aConstantRewardGivesZeroAdvantagesAndLeavesThePolicyWhereItWas(@TempDir Path tmp) throws Exception {
        Path out = tmp.resolve("run");
        Path cfg = grpoConfig(tmp, "{stages: 1, batch_prompts: 4, lr: 0.001, iterations: 2}");
        Files.writeString(cfg, Files.readString(cfg).replace("reward: task:arith", "reward: {regex: {pattern: \"never\"}}"));
        assertEquals(0, RaftRunTest.raftj("align", "--config", cfg.toString(), "--out", out.toString()));
        StageMetrics s = MetricsLog.read(out.resolve("metrics.jsonl")).get(1);
        assertEquals(1.0, s.fracRewardZeroStd());
        assertEquals(0, s.kept());
        assertEquals(0.0, s.policyLoss());
        assertEquals(0.0, s.kl(), "the policy did not move");
    }

    @Test
    void resumeAfterAnInterruptionGivesTheSameMetrics(@TempDir Path tmp) throws Exception {
        Path cfg = grpoConfig(tmp, "{stages: 3, batch_prompts: 4, lr: 0.0003, iterations: 2, minibatches: 2, beta: 0.04,"
                + " epsilon_high: 0.28, loss_aggregation: sequence}");
        Path whole = tmp.resolve("whole"), parts = tmp.resolve("parts");
        assertEquals(0, RaftRunTest.raftj("align", "--config", cfg.toString(), "--out", whole.toString()));
        assertEquals(0, RaftRunTest.raftj("align", "--config", cfg.toString(), "--out", parts.toString(), "--stages", "1"));
        assertEquals(0, RaftRunTest.raftj("align", "--resume", parts.toString(), "--stages", "3"));
        RaftRunTest.assertSameMetrics(whole, parts);
        assertSamePolicyGradientMetrics(whole, parts);
        StageMetrics s = MetricsLog.read(whole.resolve("metrics.jsonl")).get(3);
        assertTrue(s.klRef() > 0, "β > 0: the KL to π0 is measured and penalised: " + s);
        assertTrue(Files.readString(parts.resolve("config.json")).contains("\"stages\" : 3"), "the run's length is saved");
    }

    @Test
    void badSettingsAreNamed(@TempDir Path tmp) throws Exception {
        Path cfg = grpoConfig(tmp, "{stages: 1, batch_prompts: 4}");
        String good = Files.readString(cfg);
        String[][] cases = {
                {good.replace("k: 4", "k: 1"), "field 'sampling.k'"},
                {good.replace("batch_prompts: 4}", "batch_prompts: 4, epsilon: 1.5}"), "field 'grpo.epsilon'"},
                {good.replace("batch_prompts: 4}", "batch_prompts: 4, minibatches: 17}"), "field 'grpo.minibatches'"},
                {good.replace("batch_prompts: 4}", "batch_prompts: 4, scale_rewards: sometimes}"), "grpo.scale_rewards"},
                {good.replace("batch_prompts: 4}", "batch_prompts: 4, betta: 0.1}"), "unknown key 'betta'"},
        };
        Path out = tmp.resolve("never");
        for (String[] c : cases) {
            Files.writeString(cfg, c[0]);
            String err = RaftRunTest.raftjError(1, "align", "--config", cfg.toString(), "--out", out.toString());
            assertTrue(err.contains(c[1]), c[1] + ": " + err);
            assertFalse(Files.exists(out));
        }
    }

    /** --set FIELD=VALUE overrides one field (what benchmarks/compare.sh varies seeds and budgets with). */
    @Test
    void setOverridesOneFieldAndNamesABadOne(@TempDir Path tmp) throws Exception {
        Path cfg = grpoConfig(tmp, "{stages: 1, batch_prompts: 4}"), out = tmp.resolve("run");
        assertEquals(0, RaftRunTest.raftj("align", "--config", cfg.toString(), "--out", out.toString(), "--set", "seed=7",
                "--set", "grpo.scale_rewards=none"));
        String saved = Files.readString(out.resolve("config.json"));
        assertTrue(saved.contains("\"seed\" : 7") && saved.contains("\"scale_rewards\" : \"none\""), saved);
        String err = RaftRunTest.raftjError(1, "align", "--config", cfg.toString(), "--out", tmp.resolve("x").toString(),
                "--set", "grpo.betta=0.1");
        assertTrue(err.contains("betta"), err);
        err = RaftRunTest.raftjError(1, "align", "--resume", out.toString(), "--set", "seed=8");
        assertTrue(err.contains("--set: not allowed with --resume"), err);
    }

    static void assertSamePolicyGradientMetrics(Path expected, Path actual) {
        List<StageMetrics> a = MetricsLog.read(expected.resolve("metrics.jsonl"));
        List<StageMetrics> b = MetricsLog.read(actual.resolve("metrics.jsonl"));
        List<Function<StageMetrics, Object>> keys = List.of(StageMetrics::policyLoss, StageMetrics::clipFraction,
                StageMetrics::approxKl, StageMetrics::entropy, StageMetrics::klRef, StageMetrics::fracRewardZeroStd,
                StageMetrics::valueLoss, StageMetrics::valueClipFraction, StageMetrics::explainedVariance,
                StageMetrics::klCoef, StageMetrics::evalPerplexity);
        for (int i = 0; i < a.size(); i++) {
            for (Function<StageMetrics, Object> key : keys) {
                assertEquals(key.apply(a.get(i)), key.apply(b.get(i)), "stage " + i + ": " + a.get(i) + " vs " + b.get(i));
            }
        }
    }
}
