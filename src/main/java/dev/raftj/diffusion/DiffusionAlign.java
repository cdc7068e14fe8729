package dev.raftj.diffusion;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import dev.raftj.config.ConfigLoader;
import dev.raftj.core.UserError;
import dev.raftj.tasks.TaskResources;
import dev.raftj.torch.Torch;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * {@code raftj align} for diffusion models: the built-in {@code --task shapes-diffusion}, a
 * configuration whose {@code model:} is a diffusion model folder (it has a scheduler_config.json),
 * or {@code --resume} of such a run.
 */
public final class DiffusionAlign {
    public static final String TASK = "shapes-diffusion";
    static final List<String> SHIPPED = List.of("model/config.json", "model/scheduler_config.json", "model/model.safetensors",
            "classifier/config.json", "classifier/model.safetensors");

    private DiffusionAlign() {}

    /** Whether this align command is a diffusion run. */
    public static boolean handles(Path config, String task, Path resume) {
        if (TASK.equals(task)) return true;
        Path file = resume != null ? resume.resolve("config.json") : config;
        if (file == null || !Files.isRegularFile(file)) return false;
        try {
            JsonNode model = new YAMLMapper().readTree(file.toFile()).path("model");
            if (!model.isTextual()) return false;
            Path p = Path.of(model.asText());
            Path dir = file.toAbsolutePath().getParent();
            return DiffusionModel.isModelFolder(p.isAbsolute() || dir == null ? p : dir.resolve(p));
        } catch (IOException | RuntimeException e) {
            return false; // not readable as YAML: the language-model loader reports it
        }
    }

    /**
     * The built-in task's configuration (shipped model and classifier, copied out of the jar). The
     * fine-tuning rate comes from short trials (seed 0, 3–7 stages): 5e-4 × 4 epochs, 4e-4 × 16 and
     * 1e-4 × 24 epochs all raised the reward but speckled the images (class accuracy 0.91–0.95 →
     * 0.53–0.72), as did 1e-4 with label dropout 0.5 or without guidance; AdamW moves every weight
     * by about the learning rate per step whatever its gradient, so the rate is kept low. Fine-tuning
     * only at t ≥ 600 (restraints.train_t_min) is what keeps the class: where a shape sits is decided
     * at high noise, its clean edges at low noise, which the base model keeps drawing. Screened by
     * benchmarks/diffusion-levers.sh (seed 1, 8 stages: symmetry 0.384 → 0.519, class accuracy
     * 0.898 → 0.930; without the t-range 0.451 / 0.836 after only 5 stages; t ≥ 500 lifts the reward
     * further but loses 13 points of accuracy by stage 8).
     */
    static DiffusionRunConfig builtin() {
        Path dir = TaskResources.materialise(ShapesBuild.TASK, SHIPPED);
        String yaml = """
                model: "%s"
                classifier: "%s"
                reward: symmetry
                k: 48
                stages: 8
                ranking: {mode: local, m: 6}
                sampling: {method: ddim, steps: 20, eta: 0.0, guidance: 2.0}
                sft: {epochs: 24, lr: 5.0e-5, batch_size: 16}
                label_dropout: 0.1
                eval_per_class: 32
                restraints: {train_t_min: 600}
                """.formatted(dir.resolve("model"), dir.resolve("classifier"));
        return ConfigLoader.parse(yaml, Path.of("--task " + TASK), DiffusionRunConfig.class);
    }

    public static int run(Path config, Path resume, Path out, Integer stages, List<String> sets, int threads, PrintWriter o) {
        DiffusionRunConfig cfg;
        Path dir, source;
        if (resume != null) {
            if (config != null || out != null || !sets.isEmpty()) {
                throw new UserError("--config, --task, --out and --set: not allowed with --resume (" + resume.resolve("config.json")
                        + " fixes the run)");
            }
            source = resume.resolve("config.json");
            cfg = ConfigLoader.load(source, DiffusionRunConfig.class);
            if (stages != null) cfg = ConfigLoader.withChanges(cfg, Map.of("stages", stages), Path.of("--stages"));
            dir = resume;
        } else {
            source = config != null ? config : Path.of("--task " + TASK);
            cfg = config != null ? ConfigLoader.load(config, DiffusionRunConfig.class) : builtin();
            cfg = ConfigLoader.withChanges(cfg, changes(cfg, config, out, stages, sets), source);
            dir = out != null ? out : cfg.out() != null ? Path.of(cfg.out()) : defaultOut(config);
        }
        Torch.init(threads > 0 ? threads : cfg.threads());
        Path start = Path.of(cfg.model());
        DiffusionRunFolder folder;
        if (resume != null) {
            folder = DiffusionRunFolder.resume(dir, cfg);
            if (stages != null) JsonFields.write(dir.resolve("config.json"), cfg);
            if (folder.checkpointModel() != null) start = folder.checkpointModel();
            o.printf("resuming %s after stage %d%n", dir, folder.stage());
        } else {
            if (!DiffusionModel.isModelFolder(start)) throw UserError.field(source, "model", "not a diffusion model folder (no scheduler_config.json): " + start);
            if (cfg.classifier() != null && !Files.isDirectory(Path.of(cfg.classifier()))) {
                throw UserError.field(source, "classifier", "folder not found: " + cfg.classifier());
            }
            folder = null;
        }
        DiffusionModel model = DiffusionModel.load(start); // loads and checks before a fresh DIR is touched
        cfg.restraints().validate(source, "restraints", model.config(), model.schedule().steps());
        DiffusionModel base = cfg.restraints().needsBase() ? DiffusionModel.load(Path.of(cfg.model())) : null;
        ShapeClassifier classifier = cfg.classifier() == null ? null : ShapeClassifier.load(Path.of(cfg.classifier()));
        if (folder == null) folder = DiffusionRunFolder.fresh(dir, cfg);
        o.printf("raft (diffusion): %d stages, %d samples per class, reward %s -> %s%n", cfg.stages(), cfg.k(), cfg.reward(), dir);
        o.flush();
        long t0 = System.nanoTime();
        DiffusionRunConfig run = cfg;
        new DiffusionRaft(cfg, folder, model, base, classifier, source, line -> progress(o, run, line)).run();
        List<DiffusionStageMetrics> lines = folder.lines();
        DiffusionStageMetrics first = lines.get(0), last = lines.get(lines.size() - 1);
        Map<String, Object> summary = new LinkedHashMap<>();
        summary.put("stages", last.stage());
        summary.put("eval_reward_base", first.evalReward());
        summary.put("eval_reward_final", last.evalReward());
        summary.put("eval_accuracy_base", first.evalAccuracy());
        summary.put("eval_accuracy_final", last.evalAccuracy());
        summary.put("eval_diversity_base", first.evalDiversity());
        summary.put("eval_diversity_final", last.evalDiversity());
        summary.put("seconds", lines.stream().mapToDouble(DiffusionStageMetrics::seconds).sum());
        summary.put("checkpoint", dir.resolve("checkpoint").toString());
        JsonFields.write(dir.resolve("summary.json"), summary);
        o.printf(Locale.ROOT, "done: eval reward %.3f -> %.3f, class accuracy %s -> %s, in %.1f s; metrics in %s%n",
                first.evalReward(), last.evalReward(), fmt(first.evalAccuracy()), fmt(last.evalAccuracy()),
                (System.nanoTime() - t0) / 1e9, dir.resolve("metrics.jsonl"));
        o.flush();
        return 0;
    }

    private static Map<String, Object> changes(DiffusionRunConfig c, Path config, Path out, Integer stages, List<String> sets) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (String set : sets) {
            int eq = set.indexOf('=');
            if (eq <= 0) throw new UserError("--set: expected FIELD=VALUE, got '" + set + "'");
            try {
                String v = set.substring(eq + 1);
                m.put(set.substring(0, eq).strip(), v.isBlank() ? null : new YAMLMapper().readTree(v));
            } catch (IOException e) {
                throw new UserError("--set " + set + ": the value is not YAML: " + e.getMessage(), e);
            }
        }
        if (stages != null) m.put("stages", stages);
        if (!m.isEmpty()) c = ConfigLoader.withChanges(c, m, Path.of("--set"));
        Path base = config != null ? config.toAbsolutePath().getParent() : Path.of("").toAbsolutePath();
        m.put("model", base.resolve(c.model()).normalize().toString());
        if (c.classifier() != null) m.put("classifier", base.resolve(c.classifier()).normalize().toString());
        if (out != null) m.put("out", out.toAbsolutePath().normalize().toString());
        else if (c.out() != null) m.put("out", base.resolve(c.out()).normalize().toString());
        return m;
    }

    private static Path defaultOut(Path config) {
        String name = config != null ? config.getFileName().toString().replaceFirst("\\.(ya?ml|json)$", "") : TASK;
        String stamp = LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss"));
        Path p = Path.of("runs", name + "-raft-" + stamp);
        for (int n = 2; Files.exists(p); n++) p = Path.of("runs", name + "-raft-" + stamp + "-" + n);
        return p;
    }

    private static void progress(PrintWriter o, DiffusionRunConfig cfg, DiffusionStageMetrics l) {
        o.printf(Locale.ROOT, "stage %d/%d  reward %s  kept %s  loss %s  eval reward %.3f  class acc %s  diversity %.2f  %.1fs%n",
                l.stage(), cfg.stages(), fmt(l.rewardMean()), fmt(l.rewardKeptMean()), fmt(l.loss()), l.evalReward(),
                fmt(l.evalAccuracy()), l.evalDiversity(), l.seconds());
        o.flush();
    }

    private static String fmt(Double v) {
        return v == null ? "-" : String.format(Locale.ROOT, "%.3f", v);
    }
}
