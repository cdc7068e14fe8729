package dev.raftj.report;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.raftj.align.MetricsLog;
import dev.raftj.align.StageMetrics;
import dev.raftj.core.UserError;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.internal.chartpart.Chart;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * The algorithm comparison of benchmarks/compare.sh: several runs per algorithm (one per seed) of
 * the same task, budget and base policy, summarised stage by stage as mean ± standard deviation
 * across seeds (held-out reward against samples drawn and against run time, KL, perplexity,
 * distinct-2, peak memory), written as JSON and as one PNG with a panel per measure.
 *
 * <p>Usage: {@code java -cp raftj.jar dev.raftj.report.Comparison OUT.json OUT.png TITLE ALGO=RUN_DIR ...};
 * also writes OUT.md, a Markdown table of the final figures.
 */
public final class Comparison {
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private Comparison() {}

    /** A measure read from each metrics line, with its panel's axis title. */
    record Measure(String key, String title, Function<StageMetrics, Double> value) {}

    static final List<Measure> MEASURES = List.of(
            new Measure("eval_reward", "held-out reward (greedy)", StageMetrics::evalReward),
            new Measure("kl", "KL(π‖π0), held-out", StageMetrics::kl),
            new Measure("eval_perplexity", "held-out reference perplexity", StageMetrics::evalPerplexity),
            new Measure("distinct_2", "distinct-2 of the samples", StageMetrics::distinct2),
            new Measure("peak_rss_mib", "peak resident memory (MiB)", StageMetrics::peakRssMiB));

    /** mean ± sd across runs at one stage; x = mean cumulative samples and seconds at its end. */
    record Point(int stage, double samples, double seconds, Map<String, double[]> meanSd) {}

    /** Stage-by-stage summary of one algorithm's runs (stages beyond the shortest run are dropped). */
    static List<Point> summarise(List<List<StageMetrics>> runs) {
        return summarise(runs, MEASURES);
    }

    /** The same for the given measures. */
    static List<Point> summarise(List<List<StageMetrics>> runs, List<Measure> measures) {
        int stages = runs.stream().mapToInt(List::size).min().orElse(0);
        List<Point> out = new ArrayList<>();
        double[] samples = new double[runs.size()], seconds = new double[runs.size()];
        for (int s = 0; s < stages; s++) {
            Map<String, double[]> stats = new LinkedHashMap<>();
            for (int r = 0; r < runs.size(); r++) {
                StageMetrics l = runs.get(r).get(s);
                if (l.samplesPerSecond() != null) samples[r] += Math.round(l.samplesPerSecond() * l.seconds());
                seconds[r] += l.seconds();
            }
            for (Measure m : measures) {
                List<Double> v = new ArrayList<>();
                for (List<StageMetrics> run : runs) {
                    Double x = m.value.apply(run.get(s));
                    if (x != null && Double.isFinite(x)) v.add(x);
                }
                if (!v.isEmpty()) stats.put(m.key, meanSd(v));
            }
            out.add(new Point(s, mean(samples), mean(seconds), stats));
        }
        return out;
    }

    /** Mean and sample standard deviation (n − 1; 0 for one value). */
    static double[] meanSd(List<Double> v) {
        double m = 0;
        for (double x : v) m += x;
        m /= v.size();
        double ss = 0;
        for (double x : v) ss += (x - m) * (x - m);
        return new double[] {m, v.size() < 2 ? 0 : Math.sqrt(ss / (v.size() - 1))};
    }

    private static double mean(double[] x) {
        double s = 0;
        for (double v : x) s += v;
        return x.length == 0 ? 0 : s / x.length;
    }

    public static void main(String[] args) throws IOException {
        write(Path.of(args[0]), Path.of(args[1]), args[2], runDirs(args, "Comparison"));
    }

    /** ALGO=RUN_DIR arguments from the fourth on, grouped by ALGO in order. */
    static Map<String, List<Path>> runDirs(String[] args, String program) {
        if (args.length < 4) {
            System.err.println("usage: " + program + " OUT.json OUT.png TITLE ALGO=RUN_DIR ...");
            System.exit(2);
        }
        Map<String, List<Path>> dirs = new LinkedHashMap<>();
        for (int i = 3; i < args.length; i++) {
            int eq = args[i].indexOf('=');
            if (eq <= 0) throw new UserError("expected ALGO=RUN_DIR, got " + args[i]);
            dirs.computeIfAbsent(args[i].substring(0, eq), k -> new ArrayList<>()).add(Path.of(args[i].substring(eq + 1)));
        }
        return dirs;
    }

    /** Reads every run's metrics.jsonl and summary.json, writes the JSON and the PNG. */
    public static void write(Path json, Path png, String title, Map<String, List<Path>> dirs) throws IOException {
        Map<String, List<Point>> summaries = new LinkedHashMap<>();
        ObjectNode root = collect(title, dirs, MEASURES, summaries);
        writeFile(json, JSON.writeValueAsString(root) + "\n");
        Path md = json.resolveSibling(json.getFileName().toString().replaceFirst("\\.json$", "") + ".md");
        writeFile(md, table(root));
        plot(png, title, summaries);
    }

    /** The runs' summaries and configs and the stage-by-stage mean ± sd of {@code measures}; fills {@code summaries}. */
    static ObjectNode collect(String title, Map<String, List<Path>> dirs, List<Measure> measures,
                              Map<String, List<Point>> summaries) throws IOException {
        ObjectNode root = JSON.createObjectNode();
        root.put("title", title);
        ObjectNode algos = root.putObject("algorithms");
        for (Map.Entry<String, List<Path>> e : dirs.entrySet()) {
            List<List<StageMetrics>> runs = new ArrayList<>();
            ObjectNode a = algos.putObject(e.getKey());
            ArrayNode runNodes = a.putArray("runs");
            for (Path d : e.getValue()) {
                runs.add(MetricsLog.read(d.resolve("metrics.jsonl")));
                ObjectNode r = runNodes.addObject();
                r.put("dir", d.getFileName().toString());
                JsonNode config = JSON.readTree(d.resolve("config.json").toFile());
                r.put("seed", config.path("seed").asLong());
                r.set("summary", JSON.readTree(d.resolve("summary.json").toFile()));
            }
            a.put("models_resident", modelsResident(JSON.readTree(e.getValue().get(0).resolve("config.json").toFile())));
            List<Point> points = summarise(runs, measures);
            summaries.put(e.getKey(), points);
            ArrayNode series = a.putArray("stages");
            for (Point p : points) {
                ObjectNode n = series.addObject();
                n.put("stage", p.stage);
                n.put("samples", p.samples);
                n.put("seconds", p.seconds);
                p.meanSd.forEach((k, v) -> n.putObject(k).put("mean", v[0]).put("sd", v[1]));
            }
        }
        return root;
    }

    /** Writes {@code text} to a temp file beside {@code file}, then renames it. */
    static void writeFile(Path file, String text) throws IOException {
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        Files.writeString(tmp, text);
        Files.move(tmp, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    }

    /**
     * Models a run keeps in memory: the policy and π0 (every raftj run: the held-out KL, RAFT's
     * KL ranking, PPO's and GRPO's penalty), PPO's critic, and a reward model when the reward is one.
     */
    static int modelsResident(JsonNode config) {
        int n = 2;
        if ("ppo".equals(config.path("algorithm").asText())) n++;
        String reward = config.path("reward").toString();
        if (reward.contains("model") || reward.contains("task:sentiment")) n++;
        return n;
    }

    /** The final stage of each algorithm, mean ± sd across its runs, as a Markdown table. */
    static String table(JsonNode root) {
        StringBuilder sb = new StringBuilder("| algorithm | runs | samples | held-out reward | KL(π‖π0) | perplexity | distinct-2"
                + " | run time (s) | reward per 1k samples | peak RSS (MiB) | models resident |\n"
                + "|---|---|---|---|---|---|---|---|---|---|---|\n");
        root.path("algorithms").fields().forEachRemaining(e -> {
            JsonNode stages = e.getValue().path("stages"), runs = e.getValue().path("runs");
            if (stages.isEmpty()) return;
            JsonNode first = stages.get(0), last = stages.get(stages.size() - 1);
            List<Double> secs = new ArrayList<>(), rss = new ArrayList<>();
            int models = 0;
            for (JsonNode r : runs) {
                secs.add(r.path("summary").path("seconds").asDouble());
                rss.add(r.path("summary").path("peak_rss_mib").asDouble());
            }
            double gain = last.path("eval_reward").path("mean").asDouble() - first.path("eval_reward").path("mean").asDouble();
            sb.append(String.format(java.util.Locale.ROOT, "| %s | %d | %.0f | %s → %s | %s | %s | %s | %s | %+.3f | %s | %s |%n",
                    e.getKey(), runs.size(), last.path("samples").asDouble(), ms(first, "eval_reward"), ms(last, "eval_reward"),
                    ms(last, "kl"), ms(last, "eval_perplexity"), ms(last, "distinct_2"), fmt(meanSd(secs), "%.1f"),
                    gain / Math.max(1, last.path("samples").asDouble()) * 1000, fmt(meanSd(rss), "%.0f"),
                    e.getValue().path("models_resident").asText()));
        });
        return sb.toString();
    }

    private static String ms(JsonNode stage, String key) {
        JsonNode v = stage.path(key);
        return v.isMissingNode() ? "-" : fmt(new double[] {v.path("mean").asDouble(), v.path("sd").asDouble()}, "%.3f");
    }

    static String fmt(double[] meanSd, String f) {
        return String.format(java.util.Locale.ROOT, f + " ± " + f, meanSd[0], meanSd[1]);
    }

    private static void plot(Path png, String title, Map<String, List<Point>> summaries) throws IOException {
        System.setProperty("java.awt.headless", "true");
        List<Chart<?, ?>> charts = new ArrayList<>();
        charts.add(panel(title + ": held-out reward vs samples drawn", "samples drawn", "held-out reward (greedy)",
                summaries, "eval_reward", false));
        charts.add(panel("held-out reward vs run time", "seconds", "held-out reward (greedy)", summaries, "eval_reward", true));
        for (Measure m : MEASURES.subList(1, MEASURES.size())) {
            charts.add(panel(m.title + " vs samples", "samples drawn", m.title, summaries, m.key, false));
        }
        Path tmp = png.resolveSibling(png.getFileName() + ".tmp.png");
        BitmapEncoder.saveBitmap(charts, 3, 2, tmp.toString(), BitmapEncoder.BitmapFormat.PNG);
        Files.move(tmp, png, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    }

    static XYChart panel(String title, String xTitle, String yTitle, Map<String, List<Point>> summaries, String key,
                                 boolean bySeconds) {
        XYChart c = new XYChartBuilder().width(640).height(400).title(title).xAxisTitle(xTitle).yAxisTitle(yTitle).build();
        c.getStyler().setErrorBarsColorSeriesColor(true);
        for (Map.Entry<String, List<Point>> e : summaries.entrySet()) {
            List<Double> x = new ArrayList<>(), y = new ArrayList<>(), err = new ArrayList<>();
            for (Point p : e.getValue()) {
                double[] v = p.meanSd.get(key);
                if (v == null) continue;
                x.add(bySeconds ? p.seconds : p.samples);
                y.add(v[0]);
                err.add(v[1]);
            }
            if (x.isEmpty()) continue;
            XYSeries s = c.addSeries(e.getKey(), x, y, err);
            s.setMarker(SeriesMarkers.CIRCLE);
        }
        return c;
    }
}
