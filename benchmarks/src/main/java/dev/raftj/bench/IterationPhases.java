package dev.raftj.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The table of {@link AlignIterationBench}: per algorithm the JMH score of one iteration (median
 * and minimum of the measured calls, ms) and the median over those calls of each phase of the
 * loop's own timer, grouped as the issue names them (see {@link IterationReport#GROUPS}); "other"
 * is the stage's time outside the four (e.g. loading PPO's critic).
 *
 * <pre>IterationPhases JMH.json PHASES_DIR OUT.json OUT.md   (PHASES_DIR holds iteration-ALGORITHM.json)</pre>
 */
public final class IterationPhases {
    private static final ObjectMapper JSON = new ObjectMapper();

    public static void main(String[] args) throws IOException {
        JsonNode jmh = JSON.readTree(Path.of(args[0]).toFile());
        Path phases = Path.of(args[1]);
        ObjectNode root = JSON.createObjectNode();
        ArrayNode rows = root.putArray("algorithms");
        for (JsonNode b : jmh) {
            if (!b.get("benchmark").asText().endsWith("AlignIterationBench.stage")) continue;
            String algorithm = b.get("params").get("algorithm").asText();
            double[] calls = raw(b.get("primaryMetric").get("rawData"));
            JsonNode split = JSON.readTree(phases.resolve("iteration-" + algorithm + ".json").toFile()).get("calls");
            ObjectNode r = rows.addObject();
            r.put("algorithm", algorithm);
            r.put("score_median_ms", median(calls));
            r.put("score_min_ms", Arrays.stream(calls).min().orElse(Double.NaN));
            r.put("calls", calls.length);
            ObjectNode g = r.putObject("phase_median_s");
            medians(split).forEach(g::put);
        }
        Files.writeString(Path.of(args[2]), JSON.writerWithDefaultPrettyPrinter().writeValueAsString(root) + "\n");
        Files.writeString(Path.of(args[3]), table(root));
    }

    /** Median over the calls of each issue phase, "other" and the stage's seconds. */
    static Map<String, Double> medians(JsonNode calls) {
        Map<String, List<Double>> per = new LinkedHashMap<>();
        for (JsonNode c : calls) {
            Map<String, Double> time = new LinkedHashMap<>();
            c.fields().forEachRemaining(e -> time.put(e.getKey(), e.getValue().asDouble()));
            Map<String, Double> g = IterationReport.grouped(time);
            double seconds = time.get("seconds");
            g.put("other", seconds - g.values().stream().mapToDouble(Double::doubleValue).sum());
            g.put("stage", seconds);
            g.forEach((k, v) -> per.computeIfAbsent(k, x -> new ArrayList<>()).add(v));
        }
        Map<String, Double> out = new LinkedHashMap<>();
        per.forEach((k, v) -> out.put(k, median(v.stream().mapToDouble(Double::doubleValue).toArray())));
        return out;
    }

    static double median(double[] v) {
        if (v.length == 0) return Double.NaN;
        double[] s = v.clone();
        Arrays.sort(s);
        int n = s.length;
        return n % 2 == 1 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
    }

    private static double[] raw(JsonNode rawData) {
        List<Double> v = new ArrayList<>();
        for (JsonNode fork : rawData) for (JsonNode x : fork) v.add(x.asDouble());
        return v.stream().mapToDouble(Double::doubleValue).toArray();
    }

    static String table(JsonNode root) {
        StringBuilder md = new StringBuilder("| one iteration, arith (64 × 8 samples) | JMH, ms (median / min) | generation, ms"
                + " | reward, ms | selection / advantages, ms | training, ms | other, ms |\n|---|---|---|---|---|---|---|\n");
        for (JsonNode r : root.get("algorithms")) {
            JsonNode p = r.get("phase_median_s");
            md.append(String.format(Locale.ROOT, "| %s | %.0f / %.0f | %.0f | %.1f | %.0f | %.0f | %.0f |%n", r.get("algorithm").asText(),
                    r.get("score_median_ms").asDouble(), r.get("score_min_ms").asDouble(), 1e3 * p.get("generation").asDouble(),
                    1e3 * p.get("reward").asDouble(), 1e3 * p.get("selection_advantages").asDouble(),
                    1e3 * p.get("training").asDouble(), 1e3 * p.get("other").asDouble()));
        }
        return md.toString();
    }
}
