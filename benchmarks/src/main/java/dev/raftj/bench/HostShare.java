package dev.raftj.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The host (Java + JNI) share of decoding, from JMH's perfasm profiler run with
 * {@code events=cpu-clock;skipAsm=true}: perf samples every thread of the benchmark JVM during the
 * measured iterations, and perfasm's "Distribution by Source" gives each shared object's share of
 * the samples. This sorts those into host (JIT-compiled and interpreted Java code, the JVM runtime
 * — GC, JIT compiler, JNI entry points — and JavaCPP's JNI glue libraries), native compute
 * (LibTorch, c10, OpenBLAS, OpenMP, libm) and the two that both sides call (the C library and
 * loader: malloc, memcpy; the kernel: page faults, futexes, syscalls). With it, the JMH score of
 * the same run. Every thread counts there, the JIT compiler's included; so the same perf
 * recording (perfasm's savePerfBin) is also read per thread ({@code perf report --time 50%-100%
 * --sort comm,dso -t '|'}: the second half of the fork, inside the measured iterations) and
 * sorted the same way for the benchmark's own thread alone ({@code decode_thread}), next to the
 * share of all samples that the JVM's background threads (JIT compilers, GC) took.
 *
 * <pre>HostShare PROFILE.txt THREADS_DIR OUT.json OUT.md JMH.json...
 *   THREADS_DIR: one BENCHMARK-MODE-PARAMS.threads.txt per perf recording (JMH's perfbin name)</pre>
 */
public final class HostShare {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern ROW = Pattern.compile("^\\s*([0-9.]+)%\\s+(.*?)\\s*$");

    /** Category of one perfasm source name. */
    static String category(String source) {
        String s = source.strip();
        if (s.isEmpty() || s.startsWith("perf-") || s.startsWith("c1,") || s.startsWith("c2,") || s.equals("interpreter")
                || s.startsWith("Unknown, level") || s.equals("runtime stub")) return "java";
        if (s.startsWith("libjvm")) return "jvm";
        if (s.startsWith("libjni")) return "jni_glue";
        if (s.startsWith("libtorch") || s.startsWith("libc10") || s.startsWith("libopenblas") || s.startsWith("libgomp")
                || s.startsWith("libm.") || s.startsWith("libsleef")) return "native_compute";
        if (s.startsWith("libc.") || s.startsWith("libstdc++") || s.startsWith("ld-linux") || s.startsWith("libgcc")
                || s.startsWith("libpthread")) return "libc";
        if (s.startsWith("[kernel")) return "kernel";
        return "other";
    }

    /** Percent per category, in a fixed order, from one "Distribution by Source" block's lines. */
    static Map<String, Double> categories(List<String> block) {
        Map<String, Double> out = empty();
        for (String line : block) {
            Matcher m = ROW.matcher(line);
            if (!m.matches() || m.group(2).equals("<totals>")) continue;
            out.merge(category(m.group(2)), Double.parseDouble(m.group(1)), Double::sum);
        }
        return out;
    }

    private static Map<String, Double> empty() {
        Map<String, Double> out = new LinkedHashMap<>();
        for (String c : List.of("java", "jvm", "jni_glue", "native_compute", "libc", "kernel", "other")) out.put(c, 0.0);
        return out;
    }

    /** JIT-compiled code as perf names it without perfasm's map ("[JIT] tid N"). */
    private static String perfSource(String dso) {
        return dso.startsWith("[JIT]") ? "" : dso;
    }

    /**
     * From {@code perf report --sort comm,dso -t '|'} lines ("12.50%|comm|dso"): the benchmark
     * thread's samples by category as percent of that thread's samples, and the percent of all
     * samples taken by the JVM's background threads (names starting "C1 ", "C2 ", "GC ", "G1 ", "VM ").
     */
    static Map<String, Double> threadCategories(List<String> lines, String benchThreadPrefix) {
        Map<String, Double> out = empty();
        double bench = 0, background = 0;
        for (String l : lines) {
            String[] f = l.split("\\|");
            if (f.length < 3 || !f[0].strip().endsWith("%")) continue;
            double pct = Double.parseDouble(f[0].strip().replace("%", ""));
            String comm = f[1].strip();
            if (comm.startsWith(benchThreadPrefix)) {
                bench += pct;
                out.merge(category(perfSource(f[2].strip())), pct, Double::sum);
            } else if (comm.matches("(C1|C2|GC|G1|VM) .*")) {
                background += pct;
            }
        }
        double total = bench;
        out.replaceAll((k, v) -> total > 0 ? 100 * v / total : Double.NaN);
        out.put("thread_percent_of_all", bench);
        out.put("jvm_background_percent_of_all", background);
        return out;
    }

    /** JMH's perf file name part for a block key "Bench.method (a = 1, b = x)": "Bench.method-...-a-1-b-x". */
    static boolean sameRun(String fileName, String key) {
        int open = key.indexOf(" (");
        String bench = open < 0 ? key : key.substring(0, open);
        if (!fileName.contains(bench + "-")) return false;
        if (open < 0) return true;
        String params = key.substring(open + 2, key.length() - 1).replace(" = ", "-").replace(", ", "-");
        return fileName.contains("-" + params + ".");
    }

    /** "Distribution by Source" blocks of a JMH log, keyed by "Benchmark (parameters)". */
    static Map<String, List<String>> blocks(List<String> log) {
        Map<String, List<String>> out = new LinkedHashMap<>();
        String bench = "?", params = "";
        List<String> cur = null;
        for (String l : log) {
            if (l.startsWith("# Benchmark: ")) bench = l.substring("# Benchmark: ".length()).replaceFirst("^.*\\.bench\\.", "");
            else if (l.startsWith("# Parameters: ")) params = l.substring("# Parameters: ".length());
            else if (l.contains("[Distribution by Source]")) out.put(bench + " " + params, cur = new java.util.ArrayList<>());
            else if (cur != null && l.startsWith("....")) cur = null;
            else if (cur != null) cur.add(l);
        }
        return out;
    }

    public static void main(String[] args) throws IOException {
        Map<String, List<String>> blocks = blocks(Files.readAllLines(Path.of(args[0])));
        List<Path> threadFiles;
        try (var s = Files.list(Path.of(args[1]))) {
            threadFiles = s.filter(p -> p.getFileName().toString().endsWith(".threads.txt")).sorted().toList();
        }
        ArrayNode jmh = JSON.createArrayNode();
        for (int i = 4; i < args.length; i++) jmh.addAll((ArrayNode) JSON.readTree(Path.of(args[i]).toFile()));
        ObjectNode root = JSON.createObjectNode();
        root.put("method", "JMH perfasm (perf record -e cpu-clock, all threads of the benchmark JVM, measured iterations only),"
                + " samples by shared object; skipAsm=true so the profiled JVM runs without PrintAssembly");
        ArrayNode rows = root.putArray("profiles");
        for (Map.Entry<String, List<String>> e : blocks.entrySet()) {
            ObjectNode r = rows.addObject();
            r.put("benchmark", e.getKey());
            Map<String, Double> c = categories(e.getValue());
            r.set("percent", JSON.valueToTree(c));
            r.put("host_percent", c.get("java") + c.get("jvm") + c.get("jni_glue"));
            r.put("shared_percent", c.get("libc") + c.get("kernel"));
            for (Path t : threadFiles) {
                if (!sameRun(t.getFileName().toString(), e.getKey())) continue;
                Map<String, Double> d = threadCategories(Files.readAllLines(t), "dev.raftj.bench");
                r.set("decode_thread", JSON.valueToTree(d));
                r.put("decode_thread_host_percent", d.get("java") + d.get("jvm") + d.get("jni_glue"));
            }
            JsonNode score = score(jmh, e.getKey());
            if (score != null) {
                r.put("score", score.get("score").asDouble());
                r.put("score_unit", score.get("scoreUnit").asText());
            }
            ArrayNode raw = r.putArray("sources");
            e.getValue().stream().map(String::strip).filter(s -> !s.isEmpty()).forEach(raw::add);
        }
        Files.writeString(Path.of(args[2]), JSON.writerWithDefaultPrettyPrinter().writeValueAsString(root) + "\n");
        Files.writeString(Path.of(args[3]), table(root));
    }

    /** The JMH primary metric whose benchmark and parameters make up {@code key}. */
    private static JsonNode score(JsonNode jmh, String key) {
        for (JsonNode b : jmh) {
            String name = b.get("benchmark").asText().replaceFirst("^.*\\.bench\\.", "");
            if (!key.startsWith(name + " ")) continue;
            boolean all = true;
            for (var it = b.path("params").fields(); it.hasNext(); ) {
                var p = it.next();
                all &= key.contains(p.getKey() + " = " + p.getValue().asText());
            }
            if (all) return b.get("primaryMetric");
        }
        return null;
    }

    static String table(JsonNode root) {
        StringBuilder md = new StringBuilder("| decode profile (CPU samples, all threads) | JMH score | Java code | JVM runtime | JNI glue"
                + " | **host total** | LibTorch + BLAS + OpenMP | libc / loader | kernel | other"
                + " | **decode thread: host** (Java / JVM / JNI) | decode thread: LibTorch + BLAS | JIT compiler + GC threads, % of all |"
                + "\n|---|---|---|---|---|---|---|---|---|---|---|---|---|\n");
        for (JsonNode r : root.get("profiles")) {
            JsonNode p = r.get("percent");
            md.append(String.format(Locale.ROOT, "| %s | %s | %.1f%% | %.1f%% | %.1f%% | **%.1f%%** | %.1f%% | %.1f%% | %.1f%% | %.1f%% |%n",
                    r.get("benchmark").asText(), r.has("score") ? String.format(Locale.ROOT, "%.4g %s", r.get("score").asDouble(),
                            r.get("score_unit").asText()) : "–",
                    p.get("java").asDouble(), p.get("jvm").asDouble(), p.get("jni_glue").asDouble(), r.get("host_percent").asDouble(),
                    p.get("native_compute").asDouble(), p.get("libc").asDouble(), p.get("kernel").asDouble(), p.get("other").asDouble()));
            md.setLength(md.length() - 1);
            JsonNode d = r.get("decode_thread");
            md.append(d == null ? " – | – | – |\n" : String.format(Locale.ROOT, " **%.1f%%** (%.1f / %.1f / %.1f) | %.1f%% | %.1f%% |%n",
                    r.get("decode_thread_host_percent").asDouble(), d.get("java").asDouble(), d.get("jvm").asDouble(),
                    d.get("jni_glue").asDouble(), d.get("native_compute").asDouble(), d.get("jvm_background_percent_of_all").asDouble()));
        }
        return md.toString();
    }
}
