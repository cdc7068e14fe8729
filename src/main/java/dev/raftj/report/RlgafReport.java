package dev.raftj.report;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.raftj.align.StageMetrics;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.internal.chartpart.Chart;

/**
 * The RLGAF benchmark of benchmarks/rlgaf.sh: several runs (seeds) per algorithm on an adversarial
 * task, summarised stage by stage as mean ± sd across seeds of what says whether the policy moved
 * toward the references: the discriminator's held-out accuracy, the independent measure on held-out
 * and on the stage's samples, n-gram overlap with held-out references, KL(π‖π0) and the
 * discriminator's reward. Writes JSON,
 * a Markdown table (first stage → last, then every stage) and one PNG with a panel per measure.
 *
 * <p>Usage: {@code java -cp raftj.jar dev.raftj.report.RlgafReport OUT.json OUT.png TITLE ALGO=RUN_DIR ...}.
 */
public final class RlgafReport {
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private RlgafReport() {}

    static final List<Comparison.Measure> MEASURES = List.of(
            new Comparison.Measure("disc_accuracy", "discriminator accuracy (held-out refs vs samples)", StageMetrics::discAccuracy),
            new Comparison.Measure("eval_measure", "independent measure, held-out samples", StageMetrics::evalMeasure),
            new Comparison.Measure("measure_mean", "independent measure, the stage's samples", StageMetrics::measureMean),
            new Comparison.Measure("ref_overlap", "n-gram overlap with held-out references", StageMetrics::refOverlap),
            new Comparison.Measure("kl", "KL(π‖π0), held-out", StageMetrics::kl),
            new Comparison.Measure("disc_reward_mean", "discriminator reward of the stage's samples", StageMetrics::discRewardMean));

    public static void main(String[] args) throws IOException {
        write(Path.of(args[0]), Path.of(args[1]), args[2], Comparison.runDirs(args, "RlgafReport"));
    }

    public static void write(Path json, Path png, String title, Map<String, List<Path>> dirs) throws IOException {
        Map<String, List<Comparison.Point>> summaries = new LinkedHashMap<>();
        ObjectNode root = Comparison.collect(title, dirs, MEASURES, summaries);
        Comparison.writeFile(json, JSON.writeValueAsString(root) + "\n");
        Comparison.writeFile(json.resolveSibling(json.getFileName().toString().replaceFirst("\\.json$", "") + ".md"), table(root));
        System.setProperty("java.awt.headless", "true");
        List<Chart<?, ?>> charts = new ArrayList<>();
        for (Comparison.Measure m : MEASURES) {
            charts.add(Comparison.panel((charts.isEmpty() ? title + ": " : "") + m.title(), "samples drawn", m.title(),
                    summaries, m.key(), false));
        }
        Path tmp = png.resolveSibling(png.getFileName() + ".tmp.png");
        BitmapEncoder.saveBitmap(charts, 3, 2, tmp.toString(), BitmapEncoder.BitmapFormat.PNG);
        Files.move(tmp, png, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    }

    /**
     * Per algorithm: each measure at its first logged stage → the last stage (mean ± sd across runs),
     * and the discriminator's highest mean accuracy; then the stage-by-stage means.
     */
    static String table(JsonNode root) {
        StringBuilder sb = new StringBuilder("| algorithm | runs | disc accuracy: first → peak → last | held-out measure: stage 0 → last"
                + " | samples' measure: stage 1 → last | ref overlap: stage 1 → last | KL(π‖π0) last |\n|---|---|---|---|---|---|---|\n");
        StringBuilder stages = new StringBuilder("\n| algorithm | stage | disc accuracy | held-out measure | samples' measure"
                + " | ref overlap | KL(π‖π0) |\n|---|---|---|---|---|---|---|\n");
        root.path("algorithms").fields().forEachRemaining(e -> {
            JsonNode st = e.getValue().path("stages");
            if (st.isEmpty()) return;
            JsonNode last = st.get(st.size() - 1);
            double peak = Double.NaN;
            for (JsonNode s : st) if (s.has("disc_accuracy")) peak = Double.isNaN(peak) ? mean(s, "disc_accuracy") : Math.max(peak, mean(s, "disc_accuracy"));
            sb.append(String.format(Locale.ROOT, "| %s | %d | %s → %.3f → %s | %s → %s | %s → %s | %s → %s | %s |%n", e.getKey(),
                    e.getValue().path("runs").size(), ms(first(st, "disc_accuracy")), peak, ms(last.path("disc_accuracy")),
                    ms(first(st, "eval_measure")), ms(last.path("eval_measure")), ms(first(st, "measure_mean")),
                    ms(last.path("measure_mean")), ms(first(st, "ref_overlap")), ms(last.path("ref_overlap")), ms(last.path("kl"))));
            for (JsonNode s : st) {
                stages.append(String.format(Locale.ROOT, "| %s | %d | %s | %s | %s | %s | %s |%n", e.getKey(), s.path("stage").asInt(),
                        ms(s.path("disc_accuracy")), ms(s.path("eval_measure")), ms(s.path("measure_mean")),
                        ms(s.path("ref_overlap")), ms(s.path("kl"))));
            }
        });
        return sb.append(stages).toString();
    }

    /** The measure at the first stage that has it (a missing node when none does). */
    static JsonNode first(JsonNode stages, String key) {
        for (JsonNode s : stages) if (s.has(key)) return s.get(key);
        return com.fasterxml.jackson.databind.node.MissingNode.getInstance();
    }

    private static double mean(JsonNode stage, String key) {
        return stage.path(key).path("mean").asDouble();
    }

    private static String ms(JsonNode v) {
        return v.isMissingNode() ? "-" : Comparison.fmt(new double[] {v.path("mean").asDouble(), v.path("sd").asDouble()}, "%.3f");
    }
}
