package dev.raftj.report;

import dev.raftj.core.UserError;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import dev.raftj.align.StageMetrics;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.markers.SeriesMarkers;

/** DIR/metrics.png: held-out reward, sampled reward and kept reward (left) and KL (right) per stage. */
public final class RunPlot {
    private static final System.Logger LOG = System.getLogger("raftj.report");
    private static volatile boolean warned;

    private RunPlot() {}

    /**
     * Writes the plot (temp file, then rename). A Java runtime without AWT (no java.desktop module,
     * as in a jlink'd server runtime) gets no plot and one warning; the metrics stay in metrics.jsonl.
     */
    public static void write(Path png, List<StageMetrics> lines, String title) {
        try {
            draw(png, lines, title);
        } catch (LinkageError e) {
            if (!warned) {
                warned = true;
                LOG.log(System.Logger.Level.WARNING, png.getFileName() + " not written: this Java runtime has no AWT ("
                        + e + "); the same numbers are in metrics.jsonl");
            }
        }
    }

    private static void draw(Path png, List<StageMetrics> lines, String title) {
        System.setProperty("java.awt.headless", "true");
        XYChart chart = new XYChartBuilder().width(900).height(500).title(title).xAxisTitle("stage")
                .yAxisTitle("reward").build();
        chart.getStyler().setYAxisGroupPosition(1, org.knowm.xchart.style.Styler.YAxisPosition.Right);
        chart.setYAxisGroupTitle(1, "KL to the initial policy");
        series(chart, lines, StageMetrics::evalReward, "held-out reward (greedy)", 0);
        series(chart, lines, StageMetrics::rewardMean, "sample reward (mean)", 0);
        series(chart, lines, StageMetrics::rewardKeptMean, "kept reward (mean)", 0);
        series(chart, lines, StageMetrics::kl, "KL(π‖π0), held-out", 1);
        try {
            Path tmp = png.resolveSibling(png.getFileName() + ".tmp.png");
            BitmapEncoder.saveBitmap(chart, tmp.toString(), BitmapEncoder.BitmapFormat.PNG);
            Files.move(tmp, png, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UserError(png + ": cannot write plot: " + e.getMessage(), e);
        }
    }

    private static void series(XYChart chart, List<StageMetrics> lines, Function<StageMetrics, Double> value,
                               String name, int axis) {
        List<Double> x = new ArrayList<>(), y = new ArrayList<>();
        for (StageMetrics l : lines) {
            Double v = value.apply(l);
            if (v != null && Double.isFinite(v)) {
                x.add((double) l.stage());
                y.add(v);
            }
        }
        if (x.isEmpty()) return;
        XYSeries s = chart.addSeries(name, x, y);
        s.setYAxisGroup(axis);
        s.setMarker(SeriesMarkers.CIRCLE);
    }
}
