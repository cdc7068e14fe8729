package dev.raftj.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The table of benchmarks/iteration124m.sh: per algorithm, one {@code raftj align} stage's memory
 * (peak RSS of the whole process from /usr/bin/time -v, VmHWM at the end of the stage from
 * metrics.jsonl, and RssAnon / RssFile at the largest of the 0.2 s samples), its time split by
 * phase (metrics.jsonl {@code time}), the optimizer steps it took, the AdamW state it saved and the
 * models it loaded.
 *
 * <pre>IterationReport OUT.json OUT.md MACHINE.txt RUN.yaml ALGO=DIR...   (DIR.time, DIR.rss beside each DIR)</pre>
 */
public final class IterationReport {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final double MIB = 1 << 20;

    /** The four phases the issue names; the loops' own phase names map onto them. */
    static final Map<String, List<String>> GROUPS = new LinkedHashMap<>();
    static {
        GROUPS.put("generation", List.of("generate"));
        GROUPS.put("reward", List.of("reward"));
        GROUPS.put("selection_advantages", List.of("select", "reference", "logprobs", "values", "advantages"));
        GROUPS.put("training", List.of("train"));
    }

    public static void main(String[] args) throws IOException {
        Path json = Path.of(args[0]), md = Path.of(args[1]);
        ObjectNode root = JSON.createObjectNode();
        root.put("machine", Files.readString(Path.of(args[2])).strip());
        root.put("run_yaml", Files.readString(Path.of(args[3])));
        ArrayNode rows = root.putArray("algorithms");
        for (int i = 4; i < args.length; i++) {
            String[] kv = args[i].split("=", 2);
            rows.add(row(kv[0], Path.of(kv[1])));
        }
        Path tmp = json.resolveSibling(json.getFileName() + ".tmp");
        Files.writeString(tmp, JSON.writerWithDefaultPrettyPrinter().writeValueAsString(root) + "\n");
        Files.move(tmp, json, StandardCopyOption.REPLACE_EXISTING);
        Files.writeString(md, table(root));
    }

    static ObjectNode row(String algorithm, Path dir) throws IOException {
        ObjectNode r = JSON.createObjectNode();
        r.put("algorithm", algorithm);
        JsonNode config = JSON.readTree(dir.resolve("config.json").toFile());
        List<String> lines = Files.readAllLines(dir.resolve("metrics.jsonl"));
        JsonNode stage = JSON.readTree(lines.get(lines.size() - 1));
        Map<String, Double> time = new LinkedHashMap<>();
        stage.get("time").fields().forEachRemaining(e -> time.put(e.getKey(), e.getValue().asDouble()));
        r.put("iteration_s", stage.get("seconds").asDouble());
        r.set("phases_s", JSON.valueToTree(time));
        ObjectNode groups = r.putObject("groups_s");
        grouped(time).forEach(groups::put);
        Map<String, String> gnu = gnuTime(Files.readAllLines(Path.of(dir + ".time")));
        r.put("peak_rss_mib", Long.parseLong(gnu.get("Maximum resident set size (kbytes)")) / 1024.0);
        r.put("command_wall_s", wallSeconds(gnu.get("Elapsed (wall clock) time (h:mm:ss or m:ss)")));
        r.put("stage_end_vmhwm_mib", stage.get("peak_rss_mib").asDouble());
        double[] peak = peakSample(Files.readAllLines(Path.of(dir + ".rss")));
        ObjectNode p = r.putObject("largest_rss_sample");
        p.put("at_s", peak[0]);
        p.put("rss_mib", peak[1] / 1024);
        p.put("anon_mib", peak[2] / 1024);
        p.put("file_mib", peak[3] / 1024);
        r.put("largest_rss_file_mib", maxColumn(Files.readAllLines(Path.of(dir + ".rss")), 3) / 1024);
        Path ckpt = dir.resolve("checkpoint");
        r.put("adamw_state_bytes", Files.size(ckpt.resolve("optimizer.pt")));
        r.put("policy_weights_bytes", Files.size(ckpt.resolve("model.safetensors")));
        boolean ppo = "ppo".equals(config.path("algorithm").asText());
        if (ppo) r.put("critic_weights_bytes", Files.size(ckpt.resolve("critic/model.safetensors")));
        long trainedWeights = r.get("policy_weights_bytes").asLong() + r.path("critic_weights_bytes").asLong(0);
        r.put("trained_weights_grads_adamw_mib", (2 * trainedWeights + r.get("adamw_state_bytes").asLong()) / MIB);
        r.set("models_loaded", JSON.valueToTree(modelsLoaded(config)));
        int kept = stage.get("kept").asInt();
        r.put("rows_trained", kept);
        r.put("optimizer_steps", optimizerSteps(config, kept));
        return r;
    }

    /** Seconds per issue phase (generation, reward, selection/advantages, training) from a stage's time map. */
    static Map<String, Double> grouped(Map<String, Double> time) {
        Map<String, Double> out = new LinkedHashMap<>();
        GROUPS.forEach((g, names) -> out.put(g, names.stream().mapToDouble(n -> time.getOrDefault(n, 0.0)).sum()));
        return out;
    }

    /** AdamW steps of one stage: SFT steps over the kept rows × epochs (RAFT, ReST-EM); iterations or epochs × minibatches (GRPO, PPO). */
    static int optimizerSteps(JsonNode config, int kept) {
        JsonNode c = switch (config.path("algorithm").asText()) {
            case "grpo" -> config.get("grpo");
            case "ppo" -> config.get("ppo");
            default -> null;
        };
        if (c != null) return c.path(c.has("iterations") ? "iterations" : "epochs").asInt() * c.get("minibatches").asInt();
        int batch = config.get("sft").get("batch_size").asInt();
        return config.get("sft").get("epochs").asInt() * ((kept + batch - 1) / batch);
    }

    /**
     * Models an align run loads: the policy; π0 when the run reads it (AlignmentSetup loads it on
     * first use: KL ranking, held-out KL, ReST-EM's reset to the base, GRPO's β > 0, PPO; with LoRA
     * it is the policy's own weights); PPO's critic; a reward model when the reward is one.
     */
    static List<String> modelsLoaded(JsonNode config) {
        List<String> m = new ArrayList<>(List.of("policy"));
        String algorithm = config.path("algorithm").asText("raft");
        boolean readsPi0 = algorithm.equals("ppo") || algorithm.equals("rest-em")
                || (algorithm.equals("grpo") && config.path("grpo").path("beta").asDouble(0) > 0)
                || (algorithm.equals("raft") && config.path("raft").path("ranking").path("kl_beta").asDouble(0) > 0)
                || config.path("eval_fraction").asDouble(0) > 0
                || (config.hasNonNull("eval_prompts"))
                || config.path("sft").hasNonNull("lora");
        if (readsPi0) m.add("pi0");
        if ("ppo".equals(config.path("algorithm").asText())) m.add("critic");
        if (config.path("reward").toString().contains("model")) m.add("reward model");
        return m;
    }

    /** "key: value" lines of GNU time -v (keys may hold colons: the value is after the last ": "). */
    static Map<String, String> gnuTime(List<String> lines) {
        Map<String, String> out = new LinkedHashMap<>();
        for (String l : lines) {
            int at = l.lastIndexOf(": ");
            if (at > 0) out.put(l.substring(0, at).strip(), l.substring(at + 2).strip());
        }
        return out;
    }

    /** GNU time's elapsed "h:mm:ss" or "m:ss.ss" in seconds. */
    static double wallSeconds(String hms) {
        double s = 0;
        for (String part : hms.split(":")) s = s * 60 + Double.parseDouble(part);
        return s;
    }

    /** The sample ("seconds rss anon file", kB) with the largest RSS. */
    static double[] peakSample(List<String> lines) {
        double[] best = {Double.NaN, -1, Double.NaN, Double.NaN};
        for (String l : lines) {
            String[] f = l.trim().split("\\s+");
            if (f.length != 4) continue;
            double[] v = new double[4];
            for (int i = 0; i < 4; i++) v[i] = Double.parseDouble(f[i]);
            if (v[1] > best[1]) best = v;
        }
        return best;
    }

    /** The largest value of one column of the samples (e.g. 3 = RssFile: the mapped checkpoints paged in). */
    static double maxColumn(List<String> lines, int column) {
        double max = Double.NaN;
        for (String l : lines) {
            String[] f = l.trim().split("\\s+");
            if (f.length == 4) max = Double.isNaN(max) ? Double.parseDouble(f[column]) : Math.max(max, Double.parseDouble(f[column]));
        }
        return max;
    }

    static String table(JsonNode root) {
        StringBuilder md = new StringBuilder();
        md.append("| one iteration, 124M | peak RSS, MiB | VmHWM at stage end, MiB | anon + file at peak, MiB | largest file RSS, MiB | iteration, s"
                + " | generation | reward | selection / advantages | training | AdamW steps (rows) | models loaded"
                + " | AdamW state, MB | trained weights + grads + AdamW, MiB |\n|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n");
        Map<String, Double> peaks = new LinkedHashMap<>();
        for (JsonNode r : root.get("algorithms")) {
            JsonNode g = r.get("groups_s"), p = r.get("largest_rss_sample");
            peaks.put(r.get("algorithm").asText(), r.get("peak_rss_mib").asDouble());
            md.append(String.format(Locale.ROOT, "| %s | %.0f | %.0f | %.0f + %.0f | %.0f | %.1f | %.1f | %.2f | %.1f | %.1f | %d (%d) | %s | %.0f | %.0f |%n",
                    r.get("algorithm").asText(), r.get("peak_rss_mib").asDouble(), r.get("stage_end_vmhwm_mib").asDouble(),
                    p.get("anon_mib").asDouble(), p.get("file_mib").asDouble(), r.get("largest_rss_file_mib").asDouble(), r.get("iteration_s").asDouble(),
                    g.get("generation").asDouble(), g.get("reward").asDouble(), g.get("selection_advantages").asDouble(),
                    g.get("training").asDouble(), r.get("optimizer_steps").asInt(), r.get("rows_trained").asInt(),
                    String.join(" + ", JSON.convertValue(r.get("models_loaded"), String[].class)),
                    r.get("adamw_state_bytes").asDouble() / 1e6, r.get("trained_weights_grads_adamw_mib").asDouble()));
        }
        if (peaks.containsKey("raft") && peaks.containsKey("ppo")) {
            md.append(String.format(Locale.ROOT, "%nRAFT peak RSS / PPO peak RSS = %.2f (goal: at most 0.50)%n",
                    peaks.get("raft") / peaks.get("ppo")));
        }
        md.append("\n").append(root.get("machine").asText()).append("\n");
        return md.toString();
    }
}
