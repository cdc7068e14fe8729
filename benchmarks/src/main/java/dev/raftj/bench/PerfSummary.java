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
 * The 124M phase table of benchmarks/perf124m.sh: raftj before and after (JMH JSON of
 * {@link Gpt2SmallBench} on two builds), the GEMM roofline of the same shapes from the same run
 * ({@link Gpt2SmallGemmBench}), the Hugging Face figures of DESIGN.md, and the tiny decode
 * benchmark before and after. Per benchmark it takes the median and the minimum of the measured
 * calls (other sessions share the cores: the minimum is the least disturbed call).
 *
 * <pre>PerfSummary DIR   (reads DIR/{before,after}-124m.json, DIR/gemm.json, DIR/{before,after}-tiny.json;
 *                    writes DIR/summary.json and prints a markdown table)</pre>
 */
public final class PerfSummary {
    /** HF transformers 5.18 / PyTorch 2.13, same machine kind, same shapes (DESIGN.md). */
    static final Map<String, Double> HF = Map.of("prefill", 2.4, "decode", 9.6, "score", 10.9, "sftStep", 5.8);

    record Stat(double median, double min, int n) {}

    public static void main(String[] args) throws IOException {
        Path dir = Path.of(args[0]);
        ObjectMapper json = new ObjectMapper();
        Map<String, Stat> before = read(json, dir.resolve("before-124m.json"));
        Map<String, Stat> after = read(json, dir.resolve("after-124m.json"));
        Map<String, Stat> gemm = read(json, dir.resolve("gemm.json"));
        ObjectNode out = json.createObjectNode();
        ArrayNode rows = out.putArray("phases");
        StringBuilder md = new StringBuilder();
        md.append("| phase (124M, 2 threads) | raftj before, s | raftj after, s | after vs before | GEMM roofline, s | after / roofline | HF, s | after vs HF |\n");
        md.append("|---|---|---|---|---|---|---|---|\n");
        for (String phase : List.of("prefill", "decode", "score", "sftStep")) {
            Stat b = phase(before, phase), a = phase(after, phase);
            Stat r = phase.equals("decode") ? scale(gemm.get("decodeStep@blas=2"), Gpt2Small.NEW_TOKENS)
                    : gemm.get(phase + "@blas=2");
            Stat r1 = phase.equals("decode") ? scale(gemm.get("decodeStep@blas=1"), Gpt2Small.NEW_TOKENS)
                    : gemm.get(phase + "@blas=1");
            double hf = HF.get(phase);
            ObjectNode row = rows.addObject();
            row.put("phase", phase);
            put(row, "before_s", b);
            put(row, "after_s", a);
            put(row, "roofline_s", r);
            put(row, "roofline_one_blas_thread_s", r1);
            row.put("hf_s", hf);
            md.append(String.format(Locale.ROOT, "| %s | %s | %s | %s | %s | %s | %.1f | %s |%n", label(phase), fmt(b), fmt(a),
                    ratio(b, a), fmt(r), a == null || r == null ? "–" : String.format(Locale.ROOT, "%.2f", a.median / r.median),
                    hf, a == null ? "–" : String.format(Locale.ROOT, "%.2f×", hf / a.median)));
        }
        Map<String, Stat> tb = read(json, dir.resolve("before-tiny.json")), ta = read(json, dir.resolve("after-tiny.json"));
        if (!tb.isEmpty() || !ta.isEmpty()) {
            md.append("\n| tiny decode, 64 prompts × 8 samples × 64 tokens | before, s per call | after, s per call | after vs before |\n|---|---|---|---|\n");
            ArrayNode tiny = out.putArray("tiny");
            for (String m : List.of("gpt2-tiny", "llama-tiny")) {
                Stat b = tb.get("generate@" + m), a = ta.get("generate@" + m);
                ObjectNode row = tiny.addObject();
                row.put("model", m);
                put(row, "before_s", b);
                put(row, "after_s", a);
                md.append(String.format(Locale.ROOT, "| %s | %s | %s | %s |%n", m, fmt(b), fmt(a), ratio(b, a)));
            }
        }
        JsonNode mb = readJson(json, dir.resolve("memory-before.json")), ma = readJson(json, dir.resolve("memory.json"));
        if (mb != null || ma != null) {
            md.append("\n| one 124M stage (StageMemory) | before | after | after vs before |\n|---|---|---|---|\n");
            ObjectNode stage = out.putObject("stage");
            for (String[] k : new String[][] {{"time_stage_s", "stage time, s (generate + score ref and policy + 2 SFT steps)"},
                    {"time_generate_s", "  generate 16 × 4 × 32, s"}, {"time_score_s", "  score 64 rows, reference and policy, s"},
                    {"time_sft_s", "  SFT, 2 steps of 8, s"}, {"peak_rss_mb", "peak RSS, MB"},
                    {"peak_over_floor", "peak RSS / (weights + grads + AdamW + reference)"}, {"load_s", "load 498 MB checkpoint, s"}}) {
                double b = mb == null ? Double.NaN : mb.path(k[0]).asDouble(Double.NaN);
                double a = ma == null ? Double.NaN : ma.path(k[0]).asDouble(Double.NaN);
                stage.putObject(k[0]).put("before", b).put("after", a);
                md.append(String.format(Locale.ROOT, "| %s | %.2f | %.2f | %.2f× |%n", k[1], b, a, b / a));
            }
        }
        System.out.print(md);
        out.put("markdown", md.toString());
        Files.writeString(dir.resolve("summary.json"), json.writerWithDefaultPrettyPrinter().writeValueAsString(out) + "\n");
    }

    private static JsonNode readJson(ObjectMapper json, Path file) throws IOException {
        return Files.isRegularFile(file) ? json.readTree(file.toFile()) : null;
    }

    private static String label(String phase) {
        return switch (phase) {
            case "prefill" -> "prefill: 16 prompts × 4 samples, ~15 tokens, + 1 token";
            case "decode" -> "decode: 32 tokens × 64 rows, sampled (generate33 − prefill)";
            case "score" -> "reference log-probs, 64 rows × ~44 tokens";
            default -> "SFT step, 8 × ~44 tokens, AdamW, clip 1.0";
        };
    }

    /** decode = generate33 − prefill, per statistic. */
    private static Stat phase(Map<String, Stat> m, String phase) {
        if (!phase.equals("decode")) return m.get(phase);
        Stat g = m.get("generate33"), p = m.get("prefill");
        return g == null || p == null ? null : new Stat(g.median - p.median, g.min - p.min, g.n);
    }

    private static Stat scale(Stat s, double k) {
        return s == null ? null : new Stat(s.median * k, s.min * k, s.n);
    }

    private static void put(ObjectNode row, String key, Stat s) {
        if (s == null) return;
        row.put(key, s.median);
        row.put(key.replace("_s", "_min_s"), s.min);
    }

    private static String fmt(Stat s) {
        return s == null ? "–" : String.format(Locale.ROOT, "%.2f (min %.2f)", s.median, s.min);
    }

    private static String ratio(Stat before, Stat after) {
        return before == null || after == null ? "–" : String.format(Locale.ROOT, "%.2f×", before.median / after.median);
    }

    /** Benchmark short name (+ "@param=value" for blas / model params) → median and min in seconds per call. */
    static Map<String, Stat> read(ObjectMapper json, Path file) throws IOException {
        Map<String, Stat> out = new LinkedHashMap<>();
        if (!Files.isRegularFile(file)) return out;
        for (JsonNode run : json.readTree(file.toFile())) {
            String bench = run.path("benchmark").asText();
            String name = bench.substring(bench.lastIndexOf('.') + 1);
            JsonNode params = run.path("params");
            String unit = run.path("primaryMetric").path("scoreUnit").asText();
            List<Double> v = new ArrayList<>();
            for (JsonNode fork : run.path("primaryMetric").path("rawData")) for (JsonNode x : fork) v.add(x.asDouble());
            double[] s = v.stream().mapToDouble(d -> toSeconds(d, unit, bench)).sorted().toArray();
            if (s.length == 0) continue;
            double median = s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
            // Throughput results: a higher rate is a shorter call, so the sorted order flips; min stays min.
            Stat stat = new Stat(median, Arrays.stream(s).min().orElseThrow(), s.length);
            out.put(name, stat);
            if (params.has("blas")) out.put(name + "@blas=" + params.get("blas").asText(), stat);
            if (params.has("model")) out.put(name + "@" + params.get("model").asText(), stat);
        }
        return out;
    }

    private static double toSeconds(double x, String unit, String bench) {
        return switch (unit) {
            case "ms/op" -> x / 1000;
            case "s/op" -> x;
            case "ops/s" -> bench.endsWith("GenerateBench.generate") ? GenerateBench.TOKENS / x : 1 / x;
            default -> throw new IllegalArgumentException("unit " + unit);
        };
    }
}
