package dev.raftj.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * Turns a JMH JSON result file (and optionally the memory check's JSON) into a short text
 * summary: tokens/s per model for generation, ms per SFT step per model, memory growth.
 *
 * <pre>java -cp benchmarks.jar dev.raftj.bench.Summary results/cpu-DATE.json [results/memory-DATE.json]</pre>
 */
public final class Summary {
    public static void main(String[] args) throws IOException {
        if (args.length < 1) {
            System.err.println("usage: Summary JMH_JSON [MEMORY_JSON]");
            System.exit(2);
        }
        ObjectMapper json = new ObjectMapper();
        JsonNode runs = Files.isRegularFile(Path.of(args[0]))
                ? json.readTree(Files.readString(Path.of(args[0]))) : json.createArrayNode();
        if (runs.isEmpty()) System.out.println("(no JMH results in " + args[0] + ")");
        for (JsonNode run : runs) {
            String bench = run.path("benchmark").asText();
            String shortName = bench.substring(bench.lastIndexOf('.', bench.lastIndexOf('.') - 1) + 1);
            JsonNode params = run.path("params");
            String model = params.path("model").asText("?");
            String threads = params.path("threads").asText("?");
            JsonNode pm = run.path("primaryMetric");
            double score = pm.path("score").asDouble();
            double err = pm.path("scoreError").asDouble(Double.NaN);
            String unit = pm.path("scoreUnit").asText();
            String conf = String.format(Locale.ROOT, "%d fork(s) x %d iterations, threads param %s, jvm %s",
                    run.path("forks").asInt(), run.path("measurementIterations").asInt(), threads,
                    run.path("jdkVersion").asText());
            String errText = Double.isFinite(err) ? String.format(Locale.ROOT, " ± %.1f", err) : "";
            if (bench.endsWith("GenerateBench.generate") && unit.equals("ops/s")) {
                System.out.printf(Locale.ROOT,
                        "generate %-11s %9.0f%s new tokens/s  (%d prompts x %d samples x %d tokens = %d tokens: %.3f s per call)  [%s]%n",
                        model, score, errText, GenerateBench.PROMPTS, GenerateBench.SAMPLES, GenerateBench.NEW_TOKENS,
                        GenerateBench.TOKENS, GenerateBench.TOKENS / score, conf);
            } else if (bench.endsWith("SftStepBench.step")) {
                System.out.printf(Locale.ROOT, "sft-step %-11s %9.1f%s %s per step  (batch %d x %d tokens: %.0f tokens/s)  [%s]%n",
                        model, score, errText, unit, SftStepBench.BATCH, SftStepBench.SEQ,
                        unit.equals("ms/op") ? SftStepBench.BATCH * SftStepBench.SEQ * 1000.0 / score : Double.NaN, conf);
            } else {
                System.out.printf(Locale.ROOT, "%s %s %.3f%s %s  [%s]%n", shortName, model, score, errText, unit, conf);
            }
        }
        if (args.length > 1 && Files.isRegularFile(Path.of(args[1]))) {
            JsonNode m = json.readTree(Files.readString(Path.of(args[1])));
            StringBuilder series = new StringBuilder();
            for (JsonNode kb : m.path("rss_kb")) {
                series.append(series.length() > 0 ? " " : "").append(String.format(Locale.ROOT, "%.1f", kb.asLong() / 1024.0));
            }
            double growth = m.path("growth_mb").asDouble();
            double bound = m.path("bound_mb").asDouble();
            int every = m.path("every").asInt();
            System.out.printf(Locale.ROOT, "memory   %-11s RSS MB every %d generate calls (calls %d..%d): %s%n",
                    m.path("model").asText(), every, every, m.path("calls").asInt(), series);
            System.out.printf(Locale.ROOT, "memory   %-11s growth %+.1f MB from call %d to call %d (bound %.0f MB): %s%n",
                    m.path("model").asText(), growth, every, m.path("calls").asInt(), bound,
                    growth <= bound ? "FLAT" : "GROWING");
        }
    }
}
