package dev.raftj.align;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.raftj.core.UserError;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

/** DIR/metrics.jsonl (one {@link StageMetrics} per line, appended and flushed) and DIR/summary.json. */
public final class MetricsLog {
    private static final ObjectMapper JSON = new ObjectMapper()
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);
    private final Path file;
    private final List<StageMetrics> lines = new ArrayList<>();
    private final boolean writes;

    /** A log holding {@code lines}, rewritten to DIR/metrics.jsonl (resume drops a half-written stage). */
    MetricsLog(Path dir, List<StageMetrics> keep) {
        this(dir, keep, true);
    }

    /** With {@code writes} false, the lines are kept in memory only (a data-parallel rank other than 0). */
    MetricsLog(Path dir, List<StageMetrics> keep, boolean writes) {
        this.file = dir.resolve("metrics.jsonl");
        this.writes = writes;
        lines.addAll(keep);
        if (!writes) return;
        StringBuilder sb = new StringBuilder();
        try {
            for (StageMetrics l : keep) sb.append(JSON.writeValueAsString(l)).append('\n');
            writeAtomically(file, sb.toString());
        } catch (IOException e) {
            throw new UserError(file + ": cannot write: " + e.getMessage(), e);
        }
    }

    public List<StageMetrics> lines() {
        return lines;
    }

    void append(StageMetrics line) {
        lines.add(line);
        if (!writes) return;
        try {
            Files.writeString(file, JSON.writeValueAsString(line) + "\n", StandardCharsets.UTF_8,
                    StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        } catch (IOException e) {
            throw new UserError(file + ": cannot write: " + e.getMessage(), e);
        }
    }

    static void writeSummary(Path dir, RunSummary summary) {
        Path target = dir.resolve("summary.json");
        try {
            writeAtomically(target, JSON.copy().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(summary) + "\n");
        } catch (IOException e) {
            throw new UserError(target + ": cannot write: " + e.getMessage(), e);
        }
    }

    /**
     * The lines of a metrics file. A line that is not a metrics object is an error naming
     * FILE:LINE, except the last line when {@code tolerateTornTail}: a kill can cut the final
     * append short, and that stage is redone anyway.
     */
    public static List<StageMetrics> read(Path file, boolean tolerateTornTail) {
        List<String> text;
        try {
            text = Files.readAllLines(file);
        } catch (IOException e) {
            throw new UserError(file + ": cannot read metrics: " + e.getMessage(), e);
        }
        List<StageMetrics> out = new ArrayList<>();
        for (int i = 0; i < text.size(); i++) {
            if (text.get(i).isBlank()) continue;
            try {
                out.add(JSON.readValue(text.get(i), StageMetrics.class));
            } catch (IOException e) {
                if (tolerateTornTail && i == text.size() - 1) break;
                throw UserError.line(file, i + 1, "not a metrics line: " + (e instanceof com.fasterxml.jackson.core.JsonProcessingException j ? j.getOriginalMessage() : e.getMessage()));
            }
        }
        return out;
    }

    public static List<StageMetrics> read(Path file) {
        return read(file, false);
    }

    static void writeAtomically(Path target, String text) throws IOException {
        Path tmp = target.resolveSibling(target.getFileName() + ".tmp");
        Files.writeString(tmp, text);
        Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }
}
