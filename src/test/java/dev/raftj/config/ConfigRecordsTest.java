package dev.raftj.config;

import dev.raftj.core.ConfigError;
import dev.raftj.core.UserError;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.raftj.reward.OnError;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigRecordsTest {

    private static final Path FILE = Path.of("run.yaml");

    private static String problem(Validated config) {
        return assertThrows(ConfigError.class, () -> config.validate(FILE)).getMessage();
    }

    @Test
    void defaultsAreThePapersWhereItGivesThem() {
        SamplingConfig s = SamplingConfig.defaults();
        assertEquals(8, s.k());
        assertEquals(1.0, s.temperature());
        assertEquals(0, s.topK());
        assertEquals(1.0, s.topP());
        assertEquals(0.0, s.minP());
        assertEquals(16, s.maxNewTokens());
        assertEquals(0, s.minNewTokens());
        assertEquals(List.of(), s.stop());

        RankingConfig r = RankingConfig.defaults();
        assertEquals(RankingConfig.Mode.LOCAL, r.mode());
        assertEquals(1, r.m());
        assertNull(r.fraction());
        assertEquals(0.125, r.fractionFor(8));
        assertEquals(0.0, r.klBeta());

        SftConfig t = SftConfig.defaults();
        assertEquals(2, t.epochs());
        assertEquals(2e-5, t.lr());
        assertEquals(1.0, t.gradClip());
        assertEquals(0.0, t.weightDecay());
        assertEquals(dev.raftj.train.LrSchedule.CONSTANT, t.lrSchedule());
        assertEquals(0, t.warmupSteps());
        assertFalse(t.resetOptimizer());
    }

    private static RunConfig raft(SamplingConfig s, RankingConfig r) {
        return run(null, " p".strip(), null, null, s, null, new RaftConfig(null, null, r));
    }

    private static RunConfig run(String algorithm, String prompts, Double evalFraction, String device, SamplingConfig s,
                                 SftConfig sft, RaftConfig raft) {
        RunConfig.Algorithm a = algorithm == null ? null : RunConfig.Algorithm.valueOf(algorithm);
        return new RunConfig(a, "m", dev.raftj.reward.RewardSpec.of("exact"), prompts, null, evalFraction, null, null, null, device, s, sft, raft, null, null, null, null, null);
    }

    @Test
    void raftValidationNamesTheField() {
        assertEquals(OnError.FAIL, raft(null, null).onRewardError());
        raft(null, null).validate(FILE);
        assertEquals("run.yaml: field 'sampling.k': must be >= 1, got 0",
                problem(raft(new SamplingConfig(0, null, null, null, null, null, null, null, null), null)));
        assertEquals("run.yaml: field 'sampling.top_p': must be in (0, 1], got 0.0",
                problem(raft(new SamplingConfig(null, null, null, 0.0, null, null, null, null, null), null)));
        assertEquals("run.yaml: field 'sampling.min_new_tokens': must be in [0, 16], got 20",
                problem(raft(new SamplingConfig(null, null, null, null, null, null, 20, null, null), null)));
        assertEquals("run.yaml: field 'sampling.batch_size': must be >= 1, got 0",
                problem(raft(new SamplingConfig(null, null, null, null, null, null, null, null, 0), null)));
        assertEquals("run.yaml: field 'raft.ranking.fraction': must be in (0, 1], got 0.0",
                problem(raft(null, new RankingConfig(RankingConfig.Mode.GLOBAL, null, 0.0, null))));
        assertEquals("run.yaml: field 'raft.ranking.kl_beta': must be >= 0, got -0.1",
                problem(raft(null, new RankingConfig(null, null, null, -0.1))));
        // m > K only matters in local mode
        raft(null, new RankingConfig(RankingConfig.Mode.GLOBAL, 9, null, null)).validate(FILE);
        assertEquals("run.yaml: field 'prompts': required, not set",
                problem(run(null, " ", null, null, null, null, null)));
        assertEquals("run.yaml: field 'eval_fraction': must be in [0, 1), got 1.0",
                problem(run(null, "p", 1.0, null, null, null, null)));
        assertEquals("run.yaml: field 'device': must be cpu, cuda or cuda:N, got 'gpu0'",
                problem(run(null, "p", null, "gpu0", null, null, null)));
        assertEquals("run.yaml: field 'sft.lr': must be > 0, got 0.0", problem(run(null, "p", null, null, null,
                new SftConfig(null, 0.0, null, null, null, null, null, null, null, null, null), null)));
    }

    @Test
    void nestedRecordsValidateAloneWithoutPrefix() {
        assertEquals("run.yaml: field 'epochs': must be >= 1, got 0",
                problem(new SftConfig(0, null, null, null, null, null, null, null, null, null, null)));
    }

    @Test
    void microBatchDefaultsToTheBatchAndMayNotExceedIt() {
        assertEquals(8, SftConfig.defaults().microBatchSize());
        assertEquals(12, new SftConfig(null, null, 12, null, null, null, null, null, null, null, null).microBatchSize());
        new SftConfig(null, null, 8, null, null, null, null, null, null, null, 2).validate(FILE);
        assertEquals("run.yaml: field 'micro_batch_size': must be at most batch_size (8), got 9",
                problem(new SftConfig(null, null, 8, null, null, null, null, null, null, null, 9)));
        assertEquals("run.yaml: field 'micro_batch_size': must be >= 1, got 0",
                problem(new SftConfig(null, null, 8, null, null, null, null, null, null, null, 0)));
    }

    @Test
    void restSectionDefaultsAndThresholdValidation() {
        RestConfig c = RestConfig.defaults();
        assertEquals(List.of(0.0, 0.7, 0.8, 0.9, 0.95), c.thresholds());
        assertEquals(RestConfig.ThresholdScale.QUANTILE, c.thresholdScale());
        assertEquals(1, c.growSteps());
        assertEquals(null, c.growPrompts());
        assertEquals(1.0, c.improveLrDecay());
        c.validate(FILE, "rest", true);
        assertEquals("run.yaml: field 'rest.thresholds': needs at least one threshold",
                problemOf(() -> rest(List.of(), null, null).validate(FILE, "rest", true)));
        assertEquals("run.yaml: field 'rest.thresholds[1]': thresholds must rise: 0.5 is not above 0.5",
                problemOf(() -> rest(List.of(0.5, 0.5), null, null).validate(FILE, "rest", true)));
        assertEquals("run.yaml: field 'rest.thresholds[1]': must be in [0.0, 1.0], got 1.5",
                problemOf(() -> rest(List.of(0.5, 1.5), null, null).validate(FILE, "rest", true)));
        // on the reward's own scale any rising numbers are thresholds
        rest(List.of(-2.0, 1.5, 7.0), RestConfig.ThresholdScale.REWARD, null).validate(FILE, "rest", true);
        // ReST-EM ignores thresholds
        rest(List.of(), null, null).validate(FILE, "rest", false);
        assertEquals("run.yaml: field 'rest.improve_lr_decay': must be in (0, 1], got 1.5",
                problemOf(() -> rest(null, null, 1.5).validate(FILE, "rest", true)));
    }

    private static RestConfig rest(List<Double> thresholds, RestConfig.ThresholdScale scale, Double decay) {
        return new RestConfig(null, null, thresholds, scale, decay, null, null);
    }

    @Test
    void restLoadsFromYamlWithLines(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("rest.yml");
        Files.writeString(f, "algorithm: rest-em\nmodel: m\nreward: exact\nprompts: p\nrest: {grow_steps: 3, success_threshold: 0.5}\n");
        RunConfig c = ConfigLoader.load(f, RunConfig.class);
        assertEquals(RunConfig.Algorithm.REST_EM, c.algorithm());
        assertEquals(3, c.rest().growSteps());
        assertEquals(0.5, c.rest().successThreshold());
        Files.writeString(f, "algorithm: rest\nmodel: m\nreward: exact\nprompts: p\nrest:\n  thresholds:\n    - 0.1\n    - 0.05\n");
        assertEquals(f + ":8: field 'rest.thresholds[1]': thresholds must rise: 0.05 is not above 0.1",
                assertThrows(UserError.class, () -> ConfigLoader.load(f, RunConfig.class)).getMessage());
    }

    @Test
    void discriminatorWarmUpAndReplayDefaultToOffAndMustNotBeNegative() {
        DiscriminatorConfig d = DiscriminatorConfig.defaults();
        assertEquals(0, d.warmupSteps());
        assertEquals(0, d.replay());
        d.validate(FILE, "discriminator");
        assertEquals("run.yaml: field 'discriminator.warmup_steps': must be >= 0, got -1", problemOf(() -> new DiscriminatorConfig(
                null, null, null, null, null, null, null, null, null, null, null, -1, null).validate(FILE, "discriminator")));
        assertEquals("run.yaml: field 'discriminator.replay': must be >= 0, got -2", problemOf(() -> new DiscriminatorConfig(
                null, null, null, null, null, null, null, null, null, null, null, null, -2).validate(FILE, "discriminator")));
    }

    private static String problemOf(Runnable r) {
        return assertThrows(UserError.class, r::run).getMessage();
    }
}
