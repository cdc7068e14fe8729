package dev.raftj.align;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.raftj.Reference;
import dev.raftj.config.ConfigLoader;
import dev.raftj.config.RunConfig;
import dev.raftj.model.CausalLM;
import dev.raftj.torch.Torch;
import dev.raftj.train.SftStep;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** ReST and ReST-EM on the arith slice of {@link RaftRunTest}: Grow sets, thresholds, the reset to base, resume. */
class RestRunTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    static Path restConfig(Path tmp, String algorithm, String rest) throws Exception {
        Path cfg = RaftRunTest.config(tmp, 1);
        Files.writeString(cfg, Files.readString(cfg) + "algorithm: " + algorithm + "\nrest: " + rest + "\n");
        return cfg;
    }

    /** Rewards of a Grow file, in order. */
    static double[] growRewards(Path file) throws Exception {
        return Files.readAllLines(file).stream().mapToDouble(l -> {
            try {
                return JSON.readTree(l).get("reward").asDouble();
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }).toArray();
    }

    @Test
    void growCoversEveryTrainingPromptAndThresholdsAreQuantiles(@TempDir Path tmp) throws Exception {
        Path out = tmp.resolve("rest");
        Path cfg = restConfig(tmp, "rest", "{grow_steps: 1, thresholds: [0.0, 0.9], improve_lr_decay: 0.5}");
        assertEquals(0, RaftRunTest.raftj("align", "--config", cfg.toString(), "--out", out.toString()));
        List<StageMetrics> lines = MetricsLog.read(out.resolve("metrics.jsonl"));
        assertEquals(3, lines.size(), "base + 1 grow step × 2 thresholds");
        double[] r = growRewards(out.resolve("grow-1.jsonl"));
        assertEquals(24 * 4, r.length, "a Grow step samples K for every training prompt");
        long correct = java.util.Arrays.stream(r).filter(x -> x == 1).count();
        assertTrue(correct > 0 && correct < r.length, "arith rewards vary: " + correct + " of " + r.length);
        StageMetrics all = lines.get(1), best = lines.get(2);
        assertEquals(0.0, all.threshold());
        assertEquals(r.length, all.kept(), "τ = 0 (the lowest quantile) keeps the whole Grow set");
        assertEquals(0.9, best.threshold());
        assertEquals(1.0, best.cut(), "the 0.9-quantile of a 0/1 reward with > 10% correct is 1");
        assertEquals(correct, best.kept().longValue(), "τ = 0.9 keeps exactly the correct samples");
        assertEquals(1.0, best.rewardKeptMean());
    }

    @Test
    void improveStepsThatSelectTheSameSetAreReported(@TempDir Path tmp) throws Exception {
        List<String> warnings = new ArrayList<>();
        Logger log = Logger.getLogger("raftj.rest");
        Handler h = new Handler() {
            @Override public void publish(LogRecord rec) { warnings.add(rec.getMessage()); }
            @Override public void flush() {}
            @Override public void close() {}
        };
        log.addHandler(h);
        try {
            Path cfg = restConfig(tmp, "rest", "{thresholds: [0.8, 0.9]}");
            assertEquals(0, RaftRunTest.raftj("align", "--config", cfg.toString(), "--out", tmp.resolve("r").toString()));
        } finally {
            log.removeHandler(h);
        }
        assertEquals(1, warnings.size(), warnings.toString());
        assertTrue(warnings.get(0).contains("threshold 0.9 keeps the same"), warnings.get(0));
    }

    /** ReST-EM's M-step starts from the base model: iteration 2 equals fine-tuning the base on grow-2's successes. */
    @Test
    void restEmKeepsTheSuccessesAndRetrainsFromTheBaseModel(@TempDir Path tmp) throws Exception {
        Path out = tmp.resolve("em");
        Path cfg = restConfig(tmp, "rest-em", "{grow_steps: 2}");
        assertEquals(0, RaftRunTest.raftj("align", "--config", cfg.toString(), "--out", out.toString()));
        List<StageMetrics> lines = MetricsLog.read(out.resolve("metrics.jsonl"));
        assertEquals(3, lines.size(), "base + 2 iterations");
        for (int g = 1; g <= 2; g++) {
            double[] r = growRewards(out.resolve("grow-" + g + ".jsonl"));
            long correct = java.util.Arrays.stream(r).filter(x -> x == 1).count();
            assertEquals(correct, lines.get(g).kept().longValue());
            assertEquals(1.0, lines.get(g).rewardKeptMean());
        }
        // Replay iteration 2 by hand from the base model, and compare weights bit for bit.
        RunConfig c = ConfigLoader.load(out.resolve("config.json"), RunConfig.class);
        AlignmentSetup setup = new AlignmentSetup(c, null, null);
        SampleBatch grow = GrowFile.read(out.resolve("grow-2.jsonl"), setup);
        int[] kept = java.util.stream.IntStream.range(0, grow.scored().rewards().length)
                .filter(i -> grow.scored().rewards()[i] == 1).toArray();
        try (SftStep step = new SftStep(setup.policy(), c.sft().lr(), c.sft().weightDecay(), c.sft().gradClip())) {
            FineTune.run(step, c.sft(), c.sft().lr(), grow.keptPrompts(kept), grow.keptResponses(kept), c.seed(), 2,
                    setup.padId());
        }
        CausalLM saved = CausalLM.load(RunState.checkpointDir(out));
        setup.policy().weights().forEach((name, w) -> assertArrayEquals(Torch.toFloats(w),
                Torch.toFloats(saved.weights().get(name)), name));
    }

    @Test
    void restEmRefusesANonBinaryRewardUnlessGivenASuccessThreshold(@TempDir Path tmp) throws Exception {
        Path cfg = tmp.resolve("em.yaml");
        Files.writeString(tmp.resolve("p.jsonl"), "{\"prompt\": \"hello\"}\n{\"prompt\": \"the cat\"}\n");
        String base = "algorithm: rest-em\nmodel: " + Reference.model("gpt2-tiny") + "\nreward: model:"
                + Reference.model("gpt2-reward-tiny") + "\nprompts: p.jsonl\nthreads: 1\nsampling: {k: 2, max_new_tokens: 4}\n";
        Files.writeString(cfg, base);
        String err = RaftRunTest.raftjError(1, "align", "--config", cfg.toString(), "--out", tmp.resolve("a").toString());
        assertTrue(err.contains("grow-1.jsonl:1: rest-em needs a binary reward") && err.contains("rest.success_threshold"), err);
        Files.writeString(cfg, base + "rest: {success_threshold: 0.0}\n");
        assertEquals(0, RaftRunTest.raftj("align", "--config", cfg.toString(), "--out", tmp.resolve("b").toString()));
    }

    /** Stopped after the first Improve step of a Grow step, then resumed: same metrics as one run. */
    @Test
    void restResumesBetweenImproveStepsWithTheSameMetrics(@TempDir Path tmp) throws Exception {
        Path cfg = restConfig(tmp, "rest", "{grow_steps: 2, thresholds: [0.0, 0.9]}");
        Path whole = tmp.resolve("whole"), parts = tmp.resolve("parts");
        assertEquals(0, RaftRunTest.raftj("align", "--config", cfg.toString(), "--out", whole.toString()));
        RunConfig c = ConfigLoader.withChanges(ConfigLoader.load(whole.resolve("config.json"), RunConfig.class),
                java.util.Map.of("out", parts.toString()), cfg);
        AlignmentSetup setup = new AlignmentSetup(c, null, null);
        RunState state = RunState.fresh(parts, c);
        RuntimeException stop = new RuntimeException("stopped after stage 1");
        assertThrows(RuntimeException.class, () -> new Rest(setup, state, line -> {
            if (line.stage() == 1) throw stop;
        }).run());
        assertEquals(2, MetricsLog.read(parts.resolve("metrics.jsonl")).size(), "stopped mid-Grow");
        assertEquals(0, RaftRunTest.raftj("align", "--resume", parts.toString()));
        RaftRunTest.assertSameMetrics(whole, parts);
    }

}
