package dev.raftj.diffusion;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.raftj.align.CheckpointSwap;
import dev.raftj.config.ConfigLoader;
import dev.raftj.core.UserError;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;

/**
 * A diffusion run's folder: config.json, metrics.jsonl (one {@link DiffusionStageMetrics} per
 * line), grids/stage-NNN.png, summary.json, and after every stage checkpoint/ (the model folder,
 * optimizer.pt, trainer.json written last), swapped in whole by {@link CheckpointSwap}. Every random
 * draw derives from (seed, stage), so {@code --resume} continues bit-exactly from the checkpoint.
 */
final class DiffusionRunFolder {
    static final String TRAINER = "trainer.json";
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT)
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);
    private static final Set<String> RESUMABLE = Set.of("stages", "threads", "out");

    final Path dir;
    private final List<DiffusionStageMetrics> lines;
    private int stage;

    private DiffusionRunFolder(Path dir, int stage, List<DiffusionStageMetrics> lines) {
        this.dir = dir;
        this.stage = stage;
        this.lines = new ArrayList<>(lines);
    }

    static DiffusionRunFolder fresh(Path dir, DiffusionRunConfig config) {
        try {
            if (Files.isDirectory(dir)) {
                try (Stream<Path> s = Files.list(dir)) {
                    if (s.findAny().isPresent()) {
                        throw new UserError(dir + ": output folder is not empty; a new run needs a new or empty folder"
                                + " (--out DIR), and --resume " + dir + " continues the run in it");
                    }
                }
            } else if (Files.exists(dir)) {
                throw new UserError(dir + ": exists and is not a folder");
            }
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new UserError(dir + ": cannot create the output folder: " + e.getMessage(), e);
        }
        JsonFields.write(dir.resolve("config.json"), config);
        DiffusionRunFolder f = new DiffusionRunFolder(dir, 0, List.of());
        f.rewriteMetrics();
        return f;
    }

    /** The run in DIR after its last checkpointed stage; refuses a checkpoint made with another configuration. */
    static DiffusionRunFolder resume(Path dir, DiffusionRunConfig config) {
        CheckpointSwap.recover(dir, TRAINER);
        Path trainer = CheckpointSwap.target(dir).resolve(TRAINER);
        int stage = 0;
        if (Files.exists(trainer)) {
            JsonNode t = JsonFields.read(trainer);
            stage = t.path("stage").asInt(-1);
            if (stage < 1) throw new UserError(trainer + ": field 'stage' missing or not a positive integer");
            ConfigLoader.requireSameConfig(trainer, t.get("config"), DiffusionRunConfig.class, config, RESUMABLE,
                    dir.resolve("config.json"), JSON);
        }
        List<DiffusionStageMetrics> keep = new ArrayList<>();
        Path file = dir.resolve("metrics.jsonl");
        if (Files.exists(file)) {
            List<String> text;
            try {
                text = Files.readAllLines(file);
            } catch (IOException e) {
                throw new UserError(file + ": cannot read: " + e.getMessage(), e);
            }
            for (int i = 0; i < text.size() && keep.size() <= stage; i++) {
                if (text.get(i).isBlank()) continue;
                try {
                    DiffusionStageMetrics m = JSON.readValue(text.get(i), DiffusionStageMetrics.class);
                    if (m.stage() != keep.size()) throw UserError.line(file, i + 1, "stage " + m.stage() + ", expected " + keep.size());
                    keep.add(m);
                } catch (IOException e) {
                    if (i == text.size() - 1) break; // a torn last line: that stage is redone
                    throw UserError.line(file, i + 1, "not a metrics line: " + e.getMessage());
                }
            }
        }
        if (stage > 0 && keep.size() < stage + 1) throw new UserError(file + ": ends before the checkpoint's stage " + stage);
        DiffusionRunFolder f = new DiffusionRunFolder(dir, stage, keep);
        f.rewriteMetrics();
        return f;
    }

    /** The model to continue from: the checkpoint's, or null at the start. */
    Path checkpointModel() {
        Path c = CheckpointSwap.target(dir);
        return Files.exists(c.resolve(TRAINER)) ? c : null;
    }

    int stage() {
        return stage;
    }

    List<DiffusionStageMetrics> lines() {
        return lines;
    }

    void append(DiffusionStageMetrics line) {
        lines.add(line);
        try {
            Files.writeString(dir.resolve("metrics.jsonl"), JSON.copy().disable(SerializationFeature.INDENT_OUTPUT)
                    .writeValueAsString(line) + "\n", StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        } catch (IOException e) {
            throw new UserError(dir.resolve("metrics.jsonl") + ": cannot write: " + e.getMessage(), e);
        }
    }

    /** A finished stage: its metrics line first (a kill before the checkpoint redoes the stage), then the checkpoint. */
    void advance(DiffusionStageMetrics line, DenoiseStep step, DiffusionRunConfig config) {
        stage++;
        append(line);
        CheckpointSwap.replace(dir, tmp -> {
            step.model().save(tmp);
            step.saveOptimizer(tmp.resolve("optimizer.pt"));
            var t = JSON.createObjectNode();
            t.put("stage", stage);
            t.set("config", ConfigLoader.tree(config));
            Files.writeString(tmp.resolve(TRAINER), JSON.writeValueAsString(t) + "\n");
        });
    }

    Path optimizerState() {
        Path p = CheckpointSwap.target(dir).resolve("optimizer.pt");
        return checkpointModel() != null && Files.exists(p) ? p : null;
    }

    private void rewriteMetrics() {
        StringBuilder sb = new StringBuilder();
        try {
            for (DiffusionStageMetrics l : lines) sb.append(JSON.copy().disable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(l)).append('\n');
            Path file = dir.resolve("metrics.jsonl"), tmp = dir.resolve("metrics.jsonl.tmp");
            Files.writeString(tmp, sb.toString());
            Files.move(tmp, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UserError(dir.resolve("metrics.jsonl") + ": cannot write: " + e.getMessage(), e);
        }
    }
}
