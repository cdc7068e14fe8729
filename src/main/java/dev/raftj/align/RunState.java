package dev.raftj.align;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.raftj.config.SftConfig;
import dev.raftj.core.UserError;
import dev.raftj.data.Batches;
import dev.raftj.model.CausalLM;
import dev.raftj.train.SftStep;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.bytedeco.pytorch.DeviceOptional;
import org.bytedeco.pytorch.InputArchive;
import org.bytedeco.pytorch.OutputArchive;

/**
 * A run's progress on disk, in DIR: metrics.jsonl, summary.json, and after every stage
 * {@code checkpoint/} (HF-format policy + trainer.json + optimizer.pt), replaced atomically, so
 * that {@code --resume DIR} continues exactly where the last finished stage left off. Sampling
 * seeds derive from (seed, stage), so no RNG state needs saving.
 */
public final class RunState {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final Path dir;
    private final MetricsLog log;
    private final SftConfig sft;
    private int stage;
    private Batches.Cursor cursor;
    private Path optimizerState;
    private SftStep trainer;

    private RunState(Path dir, SftConfig sft, int stage, Batches.Cursor cursor, List<Map<String, Object>> lines) {
        this.dir = dir;
        this.sft = sft;
        this.log = new MetricsLog(dir);
        this.stage = stage;
        this.cursor = cursor;
        log.truncate(lines);
    }

    public static RunState fresh(Path dir, SftConfig sft) {
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new UserError(dir + ": cannot create output folder: " + e.getMessage());
        }
        return new RunState(dir, sft, 0, Batches.Cursor.START, List.of());
    }

    /** Reads DIR/checkpoint/trainer.json; the policy itself loads from {@link #checkpointDir}. */
    public static RunState resume(Path dir, SftConfig sft) {
        recoverInterruptedSave(dir);
        Path trainer = checkpointDir(dir).resolve("trainer.json");
        if (!Files.exists(trainer)) throw new UserError(dir + ": nothing to resume (no checkpoint/trainer.json)");
        try {
            Map<?, ?> t = JSON.readValue(trainer.toFile(), Map.class);
            int stage = ((Number) t.get("stage")).intValue();
            Batches.Cursor cursor = new Batches.Cursor(((Number) t.get("cursor_epoch")).longValue(),
                    ((Number) t.get("cursor_position")).intValue());
            List<Map<String, Object>> lines = new ArrayList<>();
            for (Map<String, Object> l : MetricsLog.read(dir.resolve("metrics.jsonl"))) {
                if (((Number) l.get("stage")).intValue() <= stage) lines.add(l);
            }
            RunState s = new RunState(dir, sft, stage, cursor, lines);
            Path opt = checkpointDir(dir).resolve("optimizer.pt");
            s.optimizerState = Files.exists(opt) ? opt : null;
            return s;
        } catch (IOException | RuntimeException e) {
            throw new UserError(trainer + ": unreadable trainer state: " + e.getMessage());
        }
    }

    /**
     * A kill between the two renames of {@link #saveCheckpoint} leaves checkpoint.old (the
     * previous stage) and a complete checkpoint.next (trainer.json is written last) but no
     * checkpoint/: the newer one is taken. A half-written checkpoint.next is discarded.
     */
    private static void recoverInterruptedSave(Path dir) {
        Path target = checkpointDir(dir), next = dir.resolve("checkpoint.next"), old = dir.resolve("checkpoint.old");
        try {
            if (!Files.exists(target)) {
                if (Files.exists(next.resolve("trainer.json"))) Files.move(next, target);
                else if (Files.exists(old)) Files.move(old, target);
            }
            dev.raftj.model.Checkpoint.deleteTree(next);
            dev.raftj.model.Checkpoint.deleteTree(old);
        } catch (IOException e) {
            throw new UserError(dir + ": cannot recover the checkpoint: " + e.getMessage(), e);
        }
    }

    public static Path checkpointDir(Path dir) {
        return dir.resolve("checkpoint");
    }

    public int stage() {
        return stage;
    }

    public Batches.Cursor cursor() {
        return cursor;
    }

    /** Stage 0: the base policy's evaluation, logged once per run (not again on resume). */
    void evaluateBaseOnce(AlignmentSetup setup, java.util.function.Consumer<Map<String, Object>> onStage) {
        if (stage > 0 || !log.lines().isEmpty()) return;
        Map<String, Object> line = setup.evaluate(0, null, new Timer());
        log.append(line);
        onStage.accept(line);
    }

    /** The SFT step for this run, its AdamW state restored when resuming. */
    SftStep trainer(CausalLM policy, SftConfig cfg) {
        trainer = new SftStep(policy, cfg.lr(), cfg.weightDecay(), cfg.gradClip());
        if (optimizerState != null && !cfg.resetOptimizer()) {
            InputArchive in = new InputArchive();
            in.load_from(optimizerState.toString(), new DeviceOptional(policy.device()));
            trainer.optimizer().load(in);
        }
        return trainer;
    }

    /** Records a finished stage: metrics line, checkpoint, trainer state; resets AdamW if configured. */
    void advance(Batches.Cursor next, Map<String, Object> line, SftStep step) {
        stage++;
        cursor = next;
        // The line goes first: a kill before the checkpoint lands redoes this stage on resume
        // (lines past the checkpoint's stage are dropped); the reverse order would lose the line.
        log.append(line);
        saveCheckpoint(step);
        dev.raftj.report.RunPlot.write(dir.resolve("metrics.png"), log.lines(), "raftj: " + dir.getFileName());
        if (sft.resetOptimizer()) step.resetState();
    }

    private void saveCheckpoint(SftStep step) {
        Path tmp = dir.resolve("checkpoint.next");
        try {
            dev.raftj.model.Checkpoint.deleteTree(tmp);
        } catch (IOException e) {
            throw new UserError(tmp + ": cannot clear: " + e.getMessage(), e);
        }
        step.model().save(tmp);
        try {
            OutputArchive out = new OutputArchive();
            step.optimizer().save(out);
            out.save_to(tmp.resolve("optimizer.pt").toString());
            Map<String, Object> t = new LinkedHashMap<>();
            t.put("stage", stage);
            t.put("cursor_epoch", cursor.epoch());
            t.put("cursor_position", cursor.position());
            Files.writeString(tmp.resolve("trainer.json"), JSON.writeValueAsString(t) + "\n");
            Path target = checkpointDir(dir), old = dir.resolve("checkpoint.old");
            dev.raftj.model.Checkpoint.deleteTree(old);
            if (Files.exists(target)) Files.move(target, old);
            Files.move(tmp, target);
            dev.raftj.model.Checkpoint.deleteTree(old);
        } catch (IOException e) {
            throw new UserError(dir + ": cannot write checkpoint: " + e.getMessage(), e);
        }
    }

    /** summary.json: first vs last evaluation, totals, and the last stage's figures. */
    Map<String, Object> summary() {
        List<Map<String, Object>> lines = log.lines();
        Map<String, Object> first = lines.get(0), last = lines.get(lines.size() - 1);
        Map<String, Object> s = new LinkedHashMap<>();
        s.put("stages", stage);
        s.put("eval_reward_base", first.get("eval_reward"));
        s.put("eval_reward_final", last.get("eval_reward"));
        s.put("eval_reward_sampled_base", first.get("eval_reward_sampled"));
        s.put("eval_reward_sampled_final", last.get("eval_reward_sampled"));
        s.put("eval_perplexity_final", last.get("eval_perplexity"));
        s.put("kl_final", last.get("kl"));
        double seconds = 0, maxReward = Double.NEGATIVE_INFINITY;
        double rewardSum = 0, keptSum = 0;
        int n = 0;
        Map<String, Double> time = new LinkedHashMap<>();
        for (Map<String, Object> l : lines) {
            seconds += ((Number) l.get("seconds")).doubleValue();
            if (l.get("time") instanceof Map<?, ?> m) {
                m.forEach((k, v) -> time.merge((String) k, ((Number) v).doubleValue(), Double::sum));
            }
            if (l.get("reward_mean") instanceof Number r) {
                rewardSum += r.doubleValue();
                keptSum += ((Number) l.get("reward_kept_mean")).doubleValue();
                maxReward = Math.max(maxReward, ((Number) l.get("reward_max")).doubleValue());
                n++;
            }
        }
        s.put("reward_mean", n == 0 ? null : rewardSum / n);
        s.put("reward_max", n == 0 ? null : maxReward);
        s.put("reward_kept_mean", n == 0 ? null : keptSum / n);
        s.put("distinct_1", last.get("distinct_1"));
        s.put("distinct_2", last.get("distinct_2"));
        s.put("response_length", last.get("response_length"));
        s.put("seconds", seconds);
        s.put("time", time);
        s.put("peak_rss_mib", StageMetrics.peakRssMiB());
        s.put("checkpoint", checkpointDir(dir).toString());
        log.writeSummary(s);
        return s;
    }
}
