package dev.raftj.diffusion;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.raftj.core.ConfigError;
import dev.raftj.core.UserError;
import dev.raftj.torch.Torch;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The diffusion RAFT loop on tiny settings: its outputs, and a resumed run equal bit for bit to an uninterrupted one. */
class DiffusionRaftTest {
    @TempDir static Path tmp;
    static Path model, classifier;

    @BeforeAll
    static void tinyModelAndClassifier() {
        Torch.init(1);
        model = tmp.resolve("model");
        TinyModels.model(3, SchedulerConfig.ddpm()).save(model);
        classifier = tmp.resolve("classifier");
        ShapeClassifier.train(4, 20, 16, 3e-3, new PrintWriter(new StringWriter())).save(classifier);
    }

    private static Path config(String name, String reward) throws Exception {
        Path f = tmp.resolve(name + ".yaml");
        Files.writeString(f, """
                model: model
                classifier: classifier
                reward: %s
                k: 4
                stages: 2
                ranking: {mode: local, m: 2}
                sampling: {steps: 3, guidance: 2.0, batch_size: 8}
                sft: {epochs: 2, lr: 1.0e-3, batch_size: 4}
                eval_per_class: 2
                seed: 7
                """.formatted(reward));
        return f;
    }

    private static String run(Path config, Path resume, Path out, Integer stages, String... sets) {
        StringWriter s = new StringWriter();
        DiffusionAlign.run(config, resume, out, stages, List.of(sets), 1, new PrintWriter(s));
        return s.toString();
    }

    private static List<DiffusionStageMetrics> lines(Path dir) throws Exception {
        List<DiffusionStageMetrics> out = new ArrayList<>();
        ObjectMapper json = new ObjectMapper();
        for (String l : Files.readAllLines(dir.resolve("metrics.jsonl"))) {
            out.add(json.readValue(l, DiffusionStageMetrics.class).withoutTime());
        }
        return out;
    }

    @Test
    void runWritesMetricsGridsCheckpointAndResumesBitExactly() throws Exception {
        Path cfg = config("run", "symmetry");
        assertTrue(DiffusionAlign.handles(cfg, null, null), "a config whose model has scheduler_config.json is a diffusion run");
        Path straight = tmp.resolve("straight");
        String log = run(cfg, null, straight, null);
        assertTrue(log.contains("stage 2/2"), log);
        List<DiffusionStageMetrics> a = lines(straight);
        assertEquals(3, a.size());
        DiffusionStageMetrics s1 = a.get(1);
        assertEquals(6, s1.kept()); // 2 of 4 for each of the 3 classes
        assertTrue(s1.rewardKeptMean() >= s1.rewardMean(), "kept samples are the best ones");
        assertNotNull(a.get(0).evalAccuracy());
        for (int s = 0; s <= 2; s++) assertTrue(Files.size(straight.resolve("grids/stage-00" + s + ".png")) > 0);
        assertTrue(Files.exists(straight.resolve("summary.json")));
        DiffusionModel.load(straight.resolve("checkpoint")); // a loadable model folder

        Path resumed = tmp.resolve("resumed");
        run(cfg, null, resumed, 1);
        assertEquals(2, lines(resumed).size());
        String log2 = run(null, resumed, null, 2);
        assertTrue(log2.contains("resuming"), log2);
        assertEquals(a, lines(resumed));
        // Stage 2 of the resumed run stepped with the AdamW moments read back from optimizer.pt (whose
        // bytes carry a random serialization id): equal weights after it mean they were restored exactly.
        assertArrayEquals(Files.readAllBytes(straight.resolve("checkpoint/model.safetensors")),
                Files.readAllBytes(resumed.resolve("checkpoint/model.safetensors")));
    }

    @Test
    void restraintsChangeTheRunAndResumeBitExactly() throws Exception {
        Path cfg = config("restrained", "symmetry");
        String restraints = "restraints={prior_per_class: 2, prior: base, anchor_beta: 0.5, train_t_min: 200, train_t_max: 900}";
        Path plain = tmp.resolve("unrestrained"), straight = tmp.resolve("restrained-straight"), resumed = tmp.resolve("restrained-resumed");
        run(cfg, null, plain, null);
        run(cfg, null, straight, null, restraints);
        List<DiffusionStageMetrics> a = lines(straight), p = lines(plain);
        assertEquals(p.get(0), a.get(0), "stage 0 is the base model's evaluation either way");
        assertEquals(p.get(1).rewardMean(), a.get(1).rewardMean(), "stage 1 samples the base model either way");
        assertTrue(!p.get(1).loss().equals(a.get(1).loss()), "the restraints change the fine-tuning loss");
        run(cfg, null, resumed, 1, restraints);
        run(null, resumed, null, 2);
        assertEquals(a, lines(resumed));
        assertArrayEquals(Files.readAllBytes(straight.resolve("checkpoint/model.safetensors")),
                Files.readAllBytes(resumed.resolve("checkpoint/model.safetensors")));
        ConfigError tMax = assertThrows(ConfigError.class,
                () -> run(cfg, null, tmp.resolve("t-max"), null, "restraints={train_t_max: 1000}"));
        assertTrue(tMax.getMessage().contains("restraints.train_t_max") && tMax.getMessage().contains("restrained.yaml"), tMax.getMessage());
        assertTrue(!Files.exists(tmp.resolve("t-max")), "nothing written for a refused run");
    }

    @Test
    void aShapesPriorTrainsOnTheProceduralImages() throws Exception {
        Path four = tmp.resolve("four-classes");
        UNetConfig c = new UNetConfig(16, 1, 1, new int[] {8, 16}, 1, 4, 1e-5, 5, new boolean[] {false, false}, true, 8);
        new DiffusionModel(UNet2D.initialize(c, 5), SchedulerConfig.ddpm()).save(four);
        Path cfg = tmp.resolve("four.yaml");
        Files.writeString(cfg, Files.readString(config("four-base", "symmetry")).replace("model: model", "model: four-classes"));
        Path plain = tmp.resolve("four-plain"), shapes = tmp.resolve("four-shapes");
        run(cfg, null, plain, 1);
        run(cfg, null, shapes, 1, "restraints={prior_per_class: 3, prior: shapes}");
        assertEquals(lines(plain).get(1).rewardMean(), lines(shapes).get(1).rewardMean());
        assertTrue(!lines(plain).get(1).loss().equals(lines(shapes).get(1).loss()), "the prior images are in the batches");
        ConfigError three = assertThrows(ConfigError.class,
                () -> run(config("three", "symmetry"), null, tmp.resolve("three"), 1, "restraints={prior_per_class: 3, prior: shapes}"));
        assertTrue(three.getMessage().contains("restraints.prior"), three.getMessage());
    }

    @Test
    void globalRankingKeepsTheTopFractionAndBadInputIsNamed() throws Exception {
        Path out = tmp.resolve("global");
        run(config("global", "symmetry"), null, out, 1, "ranking={mode: global, fraction: 0.25}");
        assertEquals(3, lines(out).get(1).kept()); // a quarter of 12
        UserError bad = assertThrows(UserError.class, () -> run(config("bad", "mirror"), null, tmp.resolve("bad"), null));
        assertTrue(bad.getMessage().contains("bad.yaml") && bad.getMessage().contains("reward"), bad.getMessage());
        UserError notEmpty = assertThrows(UserError.class, () -> run(config("again", "symmetry"), null, out, null));
        assertTrue(notEmpty.getMessage().contains("not empty"), notEmpty.getMessage());
    }
}
