package dev.raftj.align;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.raftj.config.ConfigLoader;
import dev.raftj.config.RunConfig;
import dev.raftj.core.UserError;
import dev.raftj.model.ValueModel;
import dev.raftj.tasks.Tasks;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.bytedeco.pytorch.Device;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** PPO end to end on the arith slice of {@link RaftRunTest}: critic, KL penalty and controller, losses, exact resume. */
class PpoRunTest {

    static Path ppoConfig(Path tmp, String ppo) throws Exception {
        Path cfg = RaftRunTest.config(tmp, 1);
        Files.writeString(cfg, Files.readString(cfg) + "algorithm: ppo\nppo: " + ppo + "\n");
        return cfg;
    }

    @Test
    void trainsActorAndCriticAndLogsTheirFigures(@TempDir Path tmp) throws Exception {
        Path out = tmp.resolve("run");
        Path cfg = ppoConfig(tmp, "{stages: 2, batch_prompts: 4, lr: 0.0003, epochs: 2, minibatches: 2, kl_estimator: k3}");
        assertEquals(0, RaftRunTest.raftj("align", "--config", cfg.toString(), "--out", out.toString()));
        List<StageMetrics> lines = MetricsLog.read(out.resolve("metrics.jsonl"));
        assertEquals(3, lines.size());
        assertNull(lines.get(0).valueLoss());
        StageMetrics first = lines.get(1);
        assertEquals(0.0, first.klRef(), "stage 1 samples from π0 itself: the KL to the reference is exactly 0");
        for (StageMetrics s : lines.subList(1, 3)) {
            assertTrue(s.rewardMax() > 0 && s.rewardMean() < 1, "rewards vary: " + s);
            assertEquals(16, s.kept(), "PPO trains on every valid sample");
            assertEquals(0.05, s.klCoef(), "a fixed β (no kl_target)");
            assertTrue(s.valueLoss() > 0 && Double.isFinite(s.explainedVariance()), s.toString());
            assertTrue(s.clipFraction() > 0, "the second epoch clips some tokens: " + s);
            assertTrue(s.kl() > 0.01, "the policy moved: " + s);
            assertNull(s.fracRewardZeroStd(), "a GRPO figure");
        }
        assertTrue(lines.get(2).klRef() > 0, "after an update the samples' KL to π0 is positive: " + lines.get(2));
        Path critic = RunState.checkpointDir(out).resolve("critic");
        assertTrue(Files.readString(critic.resolve("config.json")).contains("ForSequenceClassification"));
        assertFalse(ValueModel.load(critic, new Device("cpu"), 0).freshHead(), "the trained critic is in the checkpoint");
    }

    /** OpenRLHF's controller: β·(1 + clip(KL/target − 1, ±0.2)·n/horizon) after each rollout of n samples. */
    @Test
    void adaptiveBetaFollowsTheControllerAndResumeIsExact(@TempDir Path tmp) throws Exception {
        Path cfg = ppoConfig(tmp, "{stages: 3, batch_prompts: 4, lr: 0.0003, epochs: 2, minibatches: 2,"
                + " kl_estimator: k3, kl_target: 0.000001, kl_horizon: 100, missing_eos_penalty: 1.0, reward_clip: 0.5}");
        Path whole = tmp.resolve("whole"), parts = tmp.resolve("parts");
        assertEquals(0, RaftRunTest.raftj("align", "--config", cfg.toString(), "--out", whole.toString()));
        List<StageMetrics> lines = MetricsLog.read(whole.resolve("metrics.jsonl"));
        // stage 1: KL 0 (π = π0) → error −0.2 → ×(1 − 0.2·16/100); stage 2: k3 KL ≫ target → ×(1 + 0.032)
        assertEquals(0.05, lines.get(1).klCoef());
        assertEquals(0.05 * 0.968, lines.get(2).klCoef(), 1e-15);
        assertEquals(0.05 * 0.968 * 1.032, lines.get(3).klCoef(), 1e-15);
        assertEquals(0, RaftRunTest.raftj("align", "--config", cfg.toString(), "--out", parts.toString(), "--stages", "1"));
        assertEquals(0, RaftRunTest.raftj("align", "--resume", parts.toString(), "--stages", "3"));
        RaftRunTest.assertSameMetrics(whole, parts);
        GrpoRunTest.assertSamePolicyGradientMetrics(whole, parts);
        assertEquals(0.05 * 0.968 * 1.032 * 1.032,
                new ObjectMapper().readTree(RunState.checkpointDir(parts).resolve("trainer.json").toFile()).get("kl_coef")
                        .doubleValue(), 1e-15, "β for the next stage is saved");
    }

    @Test
    void theCriticStartsFromARewardModelThatReadsThePolicysTokensElseFromThePolicy(@TempDir Path tmp) throws Exception {
        Path arith = Tasks.get("arith").policy();
        Path rm = tmp.resolve("rm"); // a reward model on the arith policy's tokenizer
        ValueModel.load(arith, new Device("cpu"), 1).save(rm);
        Path cfg = RaftRunTest.config(tmp, 1);
        String base = Files.readString(cfg).replace("train.jsonl", tmp.resolve("train.jsonl").toString())
                .replace("eval.jsonl", tmp.resolve("eval.jsonl").toString()) + "algorithm: ppo\n";
        assertEquals(rm.toAbsolutePath(), Critics.source(setup(base.replace("task:arith", "model:" + rm.toAbsolutePath()))));
        assertEquals(arith, Critics.source(setup(base)), "arith's reward is a rule: the critic starts from the policy");
        assertEquals(arith, Critics.source(setup(base.replace("task:arith", "model:" + rm.toAbsolutePath())
                + "ppo: {critic: policy}")));
        UserError e = assertThrows(UserError.class, () -> Critics.source(setup(base + "ppo: {critic: reward}")));
        assertTrue(e.getMessage().contains("ppo.critic") && e.getMessage().contains("task:arith"), e.getMessage());
        Path sentimentRm = ((dev.raftj.tasks.RewardModelTask) Tasks.get("sentiment")).rewardModel();
        e = assertThrows(UserError.class, () -> Critics.source(setup(base.replace("task:arith", "model:" + sentimentRm)
                + "ppo: {critic: reward}")));
        assertTrue(e.getMessage().contains("tokenizer.json differ"), e.getMessage());
        assertEquals(arith, Critics.source(setup(base.replace("task:arith", "model:" + sentimentRm))),
                "auto: a reward model on other tokens cannot value the policy's; the policy is used");
    }

    private static AlignmentSetup setup(String yaml) {
        return new AlignmentSetup(ConfigLoader.parse(yaml, Path.of("test.yaml"), RunConfig.class), null, null);
    }

    @Test
    void badSettingsAreNamed(@TempDir Path tmp) throws Exception {
        Path cfg = ppoConfig(tmp, "{stages: 1, batch_prompts: 4}");
        String good = Files.readString(cfg);
        Map<String, String> cases = Map.of(
                good.replace("batch_prompts: 4}", "batch_prompts: 4, lam: 1.5}"), "field 'ppo.lam'",
                good.replace("batch_prompts: 4}", "batch_prompts: 4, kl_target: 6, kl_coef: 0}"), "field 'ppo.kl_coef'",
                good.replace("batch_prompts: 4}", "batch_prompts: 4, kl_estimator: k4}"), "ppo.kl_estimator",
                good.replace("batch_prompts: 4}", "batch_prompts: 4, critic: rm}"), "ppo.critic",
                good.replace("batch_prompts: 4}", "batch_prompts: 4, vf_coeff: 0.1}"), "unknown key 'vf_coeff'");
        Path out = tmp.resolve("never");
        for (Map.Entry<String, String> c : cases.entrySet()) {
            Files.writeString(cfg, c.getKey());
            String err = RaftRunTest.raftjError(1, "align", "--config", cfg.toString(), "--out", out.toString());
            assertTrue(err.contains(c.getValue()), c.getValue() + ": " + err);
            assertFalse(Files.exists(out));
        }
    }
}
