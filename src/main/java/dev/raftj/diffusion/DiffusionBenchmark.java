package dev.raftj.diffusion;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.internal.chartpart.Chart;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * benchmarks/diffusion.sh's summary of several seeds of one diffusion RAFT run: stage by stage
 * mean ± sd across seeds of the evaluation's reward, class accuracy and diversity (and the
 * stage's sample reward), written as OUT.json, OUT.md (base vs final per seed and on average) and
 * OUT.png (one panel per measure).
 *
 * <p>Usage: {@code java -cp raftj.jar dev.raftj.diffusion.DiffusionBenchmark OUT_PREFIX RUN_DIR...}
 */
public final class DiffusionBenchmark {
    private static final ObjectMapper JSON = new ObjectMapper().disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);
    private static final String[][] MEASURES = {
            {"eval_reward", "held-out mean reward (symmetry)"}, {"eval_accuracy", "class accuracy (held-out classifier)"},
            {"eval_diversity", "within-class diversity (mean pairwise L2)"}, {"reward_mean", "mean reward of the stage's samples"}};

    private DiffusionBenchmark() {}

    public static void main(String[] args) throws Exception {
        Path prefix = Path.of(args[0]);
        List<List<DiffusionStageMetrics>> runs = new ArrayList<>();
        List<String> names = new ArrayList<>();
        for (int i = 1; i < args.length; i++) {
            Path dir = Path.of(args[i]);
            List<DiffusionStageMetrics> lines = new ArrayList<>();
            for (String l : Files.readAllLines(dir.resolve("metrics.jsonl"))) lines.add(JSON.readValue(l, DiffusionStageMetrics.class));
            runs.add(lines);
            names.add(dir.getFileName().toString());
        }
        int stages = runs.stream().mapToInt(List::size).min().orElse(0);
        ObjectNode out = JSON.createObjectNode();
        ArrayNode per = out.putArray("stages");
        List<Chart<?, ?>> charts = new ArrayList<>();
        for (String[] m : MEASURES) {
            XYChart c = new XYChartBuilder().width(560).height(360).title(m[1]).xAxisTitle("RAFT stage").yAxisTitle(m[0]).build();
            c.getStyler().setErrorBarsColorSeriesColor(true);
            List<Double> x = new ArrayList<>(), y = new ArrayList<>(), err = new ArrayList<>();
            for (int s = 0; s < stages; s++) {
                double[] v = meanSd(runs, s, m[0]);
                if (v == null) continue;
                x.add((double) s);
                y.add(v[0]);
                err.add(v[1]);
            }
            if (!x.isEmpty()) c.addSeries("mean ± sd over " + runs.size() + " seeds", x, y, err).setMarker(SeriesMarkers.CIRCLE);
            charts.add(c);
        }
        for (int s = 0; s < stages; s++) {
            ObjectNode n = per.addObject();
            n.put("stage", s);
            for (String[] m : MEASURES) {
                double[] v = meanSd(runs, s, m[0]);
                if (v != null) n.putArray(m[0]).add(v[0]).add(v[1]);
            }
            double[] sec = meanSd(runs, s, "seconds");
            n.put("seconds_mean", sec[0]);
        }
        ArrayNode runNodes = out.putArray("runs");
        StringBuilder md = new StringBuilder("| run | eval reward base → final | class accuracy base → final | diversity base → final | seconds |\n|---|---|---|---|---|\n");
        double[] sums = new double[7];
        for (int r = 0; r < runs.size(); r++) {
            List<DiffusionStageMetrics> l = runs.get(r);
            DiffusionStageMetrics a = l.get(0), b = l.get(l.size() - 1);
            double secs = l.stream().mapToDouble(DiffusionStageMetrics::seconds).sum();
            ObjectNode n = runNodes.addObject();
            n.put("run", names.get(r));
            n.put("eval_reward_base", a.evalReward());
            n.put("eval_reward_final", b.evalReward());
            n.put("eval_accuracy_base", a.evalAccuracy());
            n.put("eval_accuracy_final", b.evalAccuracy());
            n.put("eval_diversity_base", a.evalDiversity());
            n.put("eval_diversity_final", b.evalDiversity());
            n.put("seconds", secs);
            double[] row = {a.evalReward(), b.evalReward(), a.evalAccuracy(), b.evalAccuracy(), a.evalDiversity(), b.evalDiversity(), secs};
            for (int i = 0; i < row.length; i++) sums[i] += row[i] / runs.size();
            md.append(row(names.get(r), row));
        }
        md.append(row("**mean**", sums));
        Files.writeString(Path.of(prefix + ".json"), JSON.writerWithDefaultPrettyPrinter().writeValueAsString(out) + "\n");
        Files.writeString(Path.of(prefix + ".md"), md.toString());
        Path tmp = Path.of(prefix + ".tmp.png");
        BitmapEncoder.saveBitmap(charts, 2, 2, tmp.toString(), BitmapEncoder.BitmapFormat.PNG);
        Files.move(tmp, Path.of(prefix + ".png"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        System.out.print(md);
    }

    private static String row(String name, double[] v) {
        return String.format(Locale.ROOT, "| %s | %.3f → %.3f | %.3f → %.3f | %.2f → %.2f | %.0f |%n", name, v[0], v[1], v[2], v[3], v[4], v[5], v[6]);
    }

    /** Mean and sample standard deviation across runs of one field at one stage; null when no run has it. */
    private static double[] meanSd(List<List<DiffusionStageMetrics>> runs, int stage, String field) {
        List<Double> v = new ArrayList<>();
        for (List<DiffusionStageMetrics> l : runs) {
            var node = JSON.valueToTree(l.get(stage)).get(field);
            if (node != null && node.isNumber()) v.add(node.doubleValue());
        }
        if (v.isEmpty()) return null;
        double mean = v.stream().mapToDouble(d -> d).average().orElse(0), ss = 0;
        for (double d : v) ss += (d - mean) * (d - mean);
        return new double[] {mean, v.size() > 1 ? Math.sqrt(ss / (v.size() - 1)) : 0};
    }
}
