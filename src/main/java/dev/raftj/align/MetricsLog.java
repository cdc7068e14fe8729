package dev.raftj.align;

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
import java.util.Map;

/** DIR/metrics.jsonl (one object per stage, appended and flushed) and DIR/summary.json. */
public final class MetricsLog {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final Path dir;
    private final List<Map<String, Object>> lines = new ArrayList<>();

    public MetricsLog(Path dir) {
        this.dir = dir;
    }

    public Path file() {
        return dir.resolve("metrics.jsonl");
    }

    public List<Map<String, Object>> lines() {
        return lines;
    }

    /** Rewrites the log with the first {@code keep} lines (resume drops a half-written stage). */
    public void truncate(List<Map<String, Object>> keep) {
        lines.clear();
        lines.addAll(keep);
        StringBuilder sb = new StringBuilder();
        try {
            for (Map<String, Object> l : keep) sb.append(JSON.writeValueAsString(l)).append('\n');
            writeAtomically(file(), sb.toString());
        } catch (IOException e) {
            throw new UserError(file() + ": cannot write: " + e.getMessage(), e);
        }
    }

    public void append(Map<String, Object> line) {
        lines.add(line);
        try {
            Files.writeString(file(), JSON.writeValueAsString(line) + "\n", StandardCharsets.UTF_8,
                    StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        } catch (IOException e) {
            throw new UserError(file() + ": cannot write: " + e.getMessage(), e);
        }
    }

    public void writeSummary(Map<String, Object> summary) {
        try {
            writeAtomically(dir.resolve("summary.json"),
                    JSON.copy().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(summary) + "\n");
        } catch (IOException e) {
            throw new UserError(dir.resolve("summary.json") + ": cannot write: " + e.getMessage(), e);
        }
    }

    @SuppressWarnings("unchecked")
    public static List<Map<String, Object>> read(Path file) {
        List<Map<String, Object>> out = new ArrayList<>();
        try {
            for (String l : Files.readAllLines(file)) if (!l.isBlank()) out.add(JSON.readValue(l, Map.class));
        } catch (IOException e) {
            throw new UserError(file + ": cannot read metrics: " + e.getMessage(), e);
        }
        return out;
    }

    static void writeAtomically(Path target, String text) throws IOException {
        Path tmp = target.resolveSibling(target.getFileName() + ".tmp");
        Files.writeString(tmp, text);
        Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }
}
