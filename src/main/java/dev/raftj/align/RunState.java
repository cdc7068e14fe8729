package dev.raftj.align;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.raftj.config.ConfigLoader;
import dev.raftj.config.RunConfig;
import dev.raftj.core.UserError;
import dev.raftj.data.Batches;
import dev.raftj.lora.LoraAdapter;
import dev.raftj.lora.PeftFiles;
import dev.raftj.model.CausalLM;
import dev.raftj.model.Checkpoint;
import dev.raftj.train.SftStep;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.bytedeco.pytorch.DeviceOptional;
import org.bytedeco.pytorch.InputArchive;
import org.bytedeco.pytorch.OutputArchive;

/**
 * A run's folder DIR and where the run stands: DIR/config.json, DIR/metrics.jsonl, and after every
 * stage DIR/checkpoint/ (HF-format policy + optimizer.pt + trainer.json), replaced atomically, so
 * that {@code --resume DIR} continues exactly where the last finished stage left off. Random
 * streams derive from (seed, stage) ({@link Seeds}), so no RNG state is saved. A fresh run needs
 * an empty folder; a resumed one must be the same run (same configuration apart from its length).
 */
public final class RunState {
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    /** What may change between the start of a run and its resume: its length, threads, folder. */
    private static final Set<String> RESUMABLE = Set.of("raft.stages", "rest.grow_steps", "grpo.stages", "ppo.stages",
            "threads", "out");

    private final Path dir;
    private final RunConfig config;
    private final MetricsLog log;
    private int stage;
    private Batches.Cursor cursor;
    private Path optimizerState;
    private JsonNode savedTrainer;
    /** Data parallelism: the run's process count (saved, checked on resume) and whether this one writes (rank 0). */
    private int worldSize = 1;
    private boolean writes = true;

    /**
     * An algorithm's own state beyond the policy and its optimizer (PPO's critic, its KL
     * coefficient), written into the checkpoint folder being assembled, before trainer.json; the
     * fields it puts in {@code trainerJson} come back from {@link #saved} on resume.
     */
    public interface Extra {
        void save(Path checkpointDir, ObjectNode trainerJson) throws IOException;
    }

    private RunState(Path dir, RunConfig config, int stage, Batches.Cursor cursor, List<StageMetrics> lines) {
        this(dir, config, stage, cursor, lines, true);
    }

    private RunState(Path dir, RunConfig config, int stage, Batches.Cursor cursor, List<StageMetrics> lines,
                     boolean writes) {
        this.dir = dir;
        this.config = config;
        this.stage = stage;
        this.cursor = cursor;
        this.writes = writes;
        this.log = new MetricsLog(dir, lines, writes);
    }

    /**
     * Data parallelism, rank &gt; 0 of a new run: the same state as rank 0's in memory, nothing
     * written (rank 0 writes DIR).
     */
    public static RunState follower(Path dir, RunConfig config, int worldSize) {
        RunState s = new RunState(dir, config, 0, Batches.Cursor.START, List.of(), false);
        s.worldSize = worldSize;
        return s;
    }

    /** This run has {@code worldSize} processes; rank 0 records it in every checkpoint. */
    public RunState withWorldSize(int worldSize) {
        this.worldSize = worldSize;
        return this;
    }

    /** A new run in DIR, which must not exist or be empty; writes DIR/config.json. */
    public static RunState fresh(Path dir, RunConfig config) {
        if (Files.isDirectory(dir)) {
            try (Stream<Path> entries = Files.list(dir)) {
                List<String> names = entries.limit(4).map(p -> p.getFileName().toString()).sorted().toList();
                if (!names.isEmpty()) {
                    throw new UserError(dir + ": output folder is not empty (" + String.join(", ", names)
                            + (names.size() == 4 ? ", …" : "") + "); a new run needs a new or empty folder"
                            + " (--out DIR), and --resume " + dir + " continues the run in it");
                }
            } catch (IOException e) {
                throw new UserError(dir + ": cannot list: " + e.getMessage(), e);
            }
        } else if (Files.exists(dir)) {
            throw new UserError(dir + ": exists and is not a folder");
        }
        try {
            Files.createDirectories(dir);
            MetricsLog.writeAtomically(dir.resolve("config.json"), JSON.writeValueAsString(config) + "\n");
        } catch (IOException e) {
            throw new UserError(dir + ": cannot create the output folder: " + e.getMessage(), e);
        }
        return new RunState(dir, config, 0, Batches.Cursor.START, List.of());
    }

    /** Rewrites DIR/config.json (a resumed run whose length changed). */
    public static void rewriteConfig(Path dir, RunConfig config) {
        try {
            MetricsLog.writeAtomically(dir.resolve("config.json"), JSON.writeValueAsString(config) + "\n");
        } catch (IOException e) {
            throw new UserError(dir.resolve("config.json") + ": cannot write: " + e.getMessage(), e);
        }
    }

    /**
     * The run in DIR, after its last checkpointed stage (stage 0 when none was written). Refuses a
     * folder whose checkpoint was made with another configuration, naming the fields that differ,
     * and a metrics log with stages missing.
     */
    public static RunState resume(Path dir, RunConfig config) {
        return resume(dir, config, 1, true);
    }

    /**
     * As {@link #resume(Path, RunConfig)} for one process of a data-parallel run of {@code worldSize}
     * processes: refuses a checkpoint made with another number of processes; {@code writes} is
     * false on ranks other than 0, which read the folder only (after rank 0 has resumed it).
     */
    public static RunState resume(Path dir, RunConfig config, int worldSize, boolean writes) {
        if (writes) recoverInterruptedSave(dir);
        Path trainer = checkpointDir(dir).resolve("trainer.json");
        int stage = 0;
        Batches.Cursor cursor = Batches.Cursor.START;
        if (Files.exists(trainer)) {
            JsonNode t;
            try {
                t = JSON.readTree(trainer.toFile());
                stage = t.get("stage").intValue();
                cursor = new Batches.Cursor(t.get("cursor_epoch").longValue(), t.get("cursor_position").intValue());
            } catch (IOException | RuntimeException e) {
                throw new UserError(trainer + ": unreadable trainer state: " + e.getMessage(), e);
            }
            ConfigLoader.requireSameConfig(trainer, t.get("config"), RunConfig.class, config, RESUMABLE,
                    dir.resolve("config.json"), JSON);
            int savedWorld = t.has("world_size") ? t.get("world_size").intValue() : 1;
            if (savedWorld != worldSize) {
                throw new UserError(trainer + ": the run was checkpointed with " + savedWorld + " process(es) (WORLD_SIZE) and"
                        + " is resumed with " + worldSize + "; resume it with the same number of processes");
            }
        }
        List<StageMetrics> lines = verifiedLines(dir.resolve("metrics.jsonl"), stage);
        try {
            if (writes) Files.deleteIfExists(dir.resolve("metrics.png.tmp.png"));
        } catch (IOException e) {
            throw new UserError(dir + ": cannot clean up: " + e.getMessage(), e);
        }
        RunState s = new RunState(dir, config, stage, cursor, lines, writes);
        s.worldSize = worldSize;
        Path opt = checkpointDir(dir).resolve("optimizer.pt");
        s.optimizerState = Files.exists(opt) ? opt : null;
        if (Files.exists(trainer)) {
            try {
                s.savedTrainer = JSON.readTree(trainer.toFile());
            } catch (IOException e) {
                throw new UserError(trainer + ": unreadable trainer state: " + e.getMessage(), e);
            }
        }
        return s;
    }

    /** Metrics lines 0..stage, in order; later lines (a stage cut short) are dropped. */
    private static List<StageMetrics> verifiedLines(Path file, int stage) {
        if (!Files.exists(file)) {
            if (stage == 0) return List.of();
            throw new UserError(file + ": missing, but the checkpoint is after stage " + stage);
        }
        List<StageMetrics> all = MetricsLog.read(file, true), keep = new ArrayList<>();
        for (int i = 0; i < all.size() && all.get(i).stage() <= stage; i++) {
            if (all.get(i).stage() != i) {
                throw new UserError(file + ": line " + (i + 1) + " is stage " + all.get(i).stage() + ", expected stage " + i
                        + " (stages are missing or out of order)");
            }
            keep.add(all.get(i));
        }
        if (stage > 0 && keep.size() < stage + 1) {
            throw new UserError(file + ": ends at stage " + (keep.size() - 1) + ", but the checkpoint is after stage " + stage);
        }
        return keep;
    }

    /** See {@link CheckpointSwap#recover}: trainer.json is the checkpoint's last file. */
    private static void recoverInterruptedSave(Path dir) {
        CheckpointSwap.recover(dir, "trainer.json");
    }

    public static Path checkpointDir(Path dir) {
        return CheckpointSwap.target(dir);
    }

    public Path dir() {
        return dir;
    }

    /** The policy to continue from: the checkpoint's, or null when the run starts from its base model. */
    public Path policyDir() {
        return Files.exists(checkpointDir(dir).resolve("trainer.json")) ? checkpointDir(dir) : null;
    }

    public int stage() {
        return stage;
    }

    public Batches.Cursor cursor() {
        return cursor;
    }

    public List<StageMetrics> lines() {
        return log.lines();
    }

    /** Whether stage 0 (the base policy's evaluation) is still to be logged. */
    boolean needsBaseEvaluation() {
        return stage == 0 && log.lines().isEmpty();
    }

    void logBaseEvaluation(StageMetrics line) {
        log.append(line);
    }

    /**
     * A field an {@link Extra} wrote into the checkpoint's trainer.json, or null (a fresh run, or a
     * checkpoint without it).
     */
    JsonNode saved(String field) {
        return savedTrainer == null ? null : savedTrainer.get(field);
    }

    /** The SFT step for this run, its AdamW state restored when resuming. */
    SftStep trainer(CausalLM policy) {
        var sft = config.sft();
        SftStep step = new SftStep(policy, sft.lr(), sft.weightDecay(), sft.gradClip());
        step.setMicroBatchRows(sft.microBatchSize());
        return restore(step, policy);
    }

    /**
     * The optimizer of a policy-gradient run (GRPO, PPO): AdamW over the policy's parameters and
     * {@code extra} ones (PPO's critic), its state restored when resuming.
     */
    SftStep trainer(CausalLM policy, java.util.List<org.bytedeco.pytorch.Tensor> extra, double lr, double weightDecay,
                    double gradClip) {
        return restore(new SftStep(policy, extra, lr, weightDecay, gradClip), policy);
    }

    private SftStep restore(SftStep trainer, CausalLM policy) {
        if (optimizerState != null && !config.sft().resetOptimizer()) {
            InputArchive in = new InputArchive();
            in.load_from(optimizerState.toString(), new DeviceOptional(policy.device()));
            trainer.optimizer().load(in);
        }
        return trainer;
    }

    /** Records a finished stage: metrics line, then checkpoint; resets AdamW if configured. */
    void advance(Batches.Cursor next, StageMetrics line, SftStep step) {
        advance(next, line, step, null);
    }

    /** As {@link #advance(Batches.Cursor, StageMetrics, SftStep)}, with the algorithm's own state in the checkpoint. */
    void advance(Batches.Cursor next, StageMetrics line, SftStep step, Extra extra) {
        stage++;
        cursor = next;
        // The line goes first: a kill before the checkpoint lands redoes this stage on resume
        // (lines past the checkpoint's stage are dropped); the reverse order would lose the line.
        log.append(line);
        if (writes) saveCheckpoint(step, extra);
        if (config.sft().resetOptimizer()) step.resetState();
    }

    private void saveCheckpoint(SftStep step, Extra extra) {
        CheckpointSwap.replace(dir, tmp -> {
            if (step.model().adapter() instanceof LoraAdapter a) PeftFiles.write(tmp, a, config.model()); // the adapter only
            else step.model().save(tmp);
            OutputArchive out = new OutputArchive();
            step.optimizer().save(out);
            out.save_to(tmp.resolve("optimizer.pt").toString());
            ObjectNode t = JSON.createObjectNode();
            t.put("stage", stage);
            t.put("cursor_epoch", cursor.epoch());
            t.put("cursor_position", cursor.position());
            if (worldSize > 1) t.put("world_size", worldSize);
            t.set("config", JSON.valueToTree(config));
            if (extra != null) extra.save(tmp, t);
            Files.writeString(tmp.resolve("trainer.json"), JSON.writeValueAsString(t) + "\n");
        });
    }

    /** Writes and returns summary.json. */
    RunSummary finish() {
        RunSummary s = RunSummary.of(log.lines(), checkpointDir(dir).toString());
        if (writes) MetricsLog.writeSummary(dir, s);
        return s;
    }
}
