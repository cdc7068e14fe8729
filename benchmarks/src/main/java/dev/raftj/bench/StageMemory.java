package dev.raftj.bench;

import dev.raftj.align.SequenceLogprobs;
import dev.raftj.align.TokenBatch;
import dev.raftj.data.Tokenizer;
import dev.raftj.generate.Generator;
import dev.raftj.generate.Sample;
import dev.raftj.generate.SamplingParams;
import dev.raftj.model.CausalLM;
import dev.raftj.torch.Torch;
import dev.raftj.train.SftStep;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.Tensor;

/**
 * Model load time, the time and the memory of one RAFT stage at 124M, the way a stage uses memory: a policy
 * and a frozen reference loaded from the same checkpoint, generation of 16 prompts × 4 samples ×
 * 32 tokens, reference and policy log-probabilities of the 64 rows, then SFT (AdamW, clip 1.0) on
 * the best 16 rows (global top quarter, here by a stand-in reward: response length is fixed, so
 * the first 16) in 2 steps of 8. Prints resident memory (VmRSS, VmHWM = peak; RssAnon / RssFile)
 * after each part and the breakdown weights + gradients + AdamW state; writes JSON.
 *
 * <p>{@code -Draftj.sft.micro=N}: the SFT steps run N rows per forward and backward (gradient
 * accumulation, {@code sft.micro_batch_size}); default the whole batch.
 *
 * <pre>java -Draftj.model124m=DIR -cp CP dev.raftj.bench.StageMemory [--json FILE]</pre>
 */
public final class StageMemory {
    public static void main(String[] args) throws IOException {
        Path json = args.length >= 2 && args[0].equals("--json") ? Path.of(args[1]) : null;
        Map<String, Object> out = new LinkedHashMap<>();
        Torch.init(0);
        PeakSampler sampler = new PeakSampler(5);
        Path dir = Gpt2Small.modelDir();
        long fileBytes = Files.size(dir.resolve("model.safetensors"));
        mark(out, "start");
        long t0 = System.nanoTime();
        sampler.phase("load policy and reference");
        CausalLM policy = CausalLM.load(dir);
        double loadS = (System.nanoTime() - t0) / 1e9;
        mark(out, "policy loaded");
        long t1 = System.nanoTime();
        double touched = 0;
        for (Tensor w : policy.weights().values()) touched += w.sum().item_double(); // reads every byte once
        double touchS = (System.nanoTime() - t1) / 1e9;
        long t2 = System.nanoTime();
        CausalLM reference = CausalLM.load(dir);
        double loadRefS = (System.nanoTime() - t2) / 1e9;
        mark(out, "reference loaded");
        out.put("safetensors_bytes", fileBytes);
        out.put("load_s", loadS);
        out.put("first_touch_of_all_weights_s", touchS);
        out.put("load_second_model_s", loadRefS);
        System.out.printf(Locale.ROOT, "load: %.1f MB safetensors in %.3f s (memory map, no copy); reading every weight once"
                + " afterwards %.3f s (checksum %.3f); a second model from the same file %.3f s%n",
                fileBytes / 1e6, loadS, touchS, touched, loadRefS);

        Tokenizer tok = Tokenizer.load(dir);
        List<int[]> prompts = Gpt2Small.prompts(tok);
        long stage0 = System.nanoTime();
        sampler.phase("generate");
        List<Sample> samples = new Generator(policy).generate(prompts,
                SamplingParams.sampling(1.0, Gpt2Small.NEW_TOKENS, Gpt2Small.SAMPLES, 42).withIgnoreEos(true));
        out.put("time_generate_s", (System.nanoTime() - stage0) / 1e9);
        mark(out, "generated");
        long score0 = System.nanoTime();
        sampler.phase("score (reference + policy)");
        List<int[]> sp = new ArrayList<>(), sr = new ArrayList<>();
        for (Sample s : samples) {
            sp.add(prompts.get(s.prompt()));
            sr.add(s.tokens());
        }
        SequenceLogprobs.of(reference, sp, sr, 64);
        SequenceLogprobs.of(policy, sp, sr, 64);
        out.put("time_score_s", (System.nanoTime() - score0) / 1e9);
        mark(out, "scored (reference + policy)");
        long sft0 = System.nanoTime();
        long params = 0;
        for (Tensor p : policy.parameters()) params += p.numel();
        int micro = Integer.getInteger("raftj.sft.micro", 0);
        out.put("sft_micro_batch_rows", micro == 0 ? Gpt2Small.SFT_ROWS : micro);
        try (SftStep sft = new SftStep(policy, 1e-5, 0.0, 1.0)) {
            sft.setMicroBatchRows(micro);
            for (int start = 0; start < 16; start += Gpt2Small.SFT_ROWS) {
                sampler.phase("sft step " + (start / Gpt2Small.SFT_ROWS + 1));
                try (PointerScope scope = new PointerScope()) {
                    TokenBatch b = TokenBatch.of(sp.subList(start, start + Gpt2Small.SFT_ROWS),
                            sr.subList(start, start + Gpt2Small.SFT_ROWS), 50256, new Device("cpu"));
                    sft.step(b.ids(), b.mask(), b.labels());
                }
                mark(out, "sft step " + (start / Gpt2Small.SFT_ROWS + 1));
            }
        }
        sampler.phase("end");
        out.put("time_sft_s", (System.nanoTime() - sft0) / 1e9);
        Map<String, Object> peaks = new LinkedHashMap<>();
        sampler.peaks().forEach((phase, p) -> {
            System.out.printf(Locale.ROOT, "peak in %-28s VmRSS %6d MB (anon %6d + file %6d), %d samples%n",
                    phase, p.rssKb() / 1024, p.anonKb() / 1024, p.fileKb() / 1024, p.samples());
            peaks.put(phase, Map.of("VmRSS_mb", p.rssKb() / 1024, "RssAnon_mb", p.anonKb() / 1024,
                    "RssFile_mb", p.fileKb() / 1024, "samples", p.samples()));
        });
        sampler.close();
        out.put("peak by phase (5 ms samples)", peaks);
        out.put("time_stage_s", (System.nanoTime() - stage0) / 1e9);
        System.out.printf(Locale.ROOT, "stage time: generate %.2f s + score (reference and policy) %.2f s + SFT 2 steps %.2f s"
                + " = %.2f s%n", (double) out.get("time_generate_s"), (double) out.get("time_score_s"),
                (double) out.get("time_sft_s"), (double) out.get("time_stage_s"));
        double mb = 1 << 20;
        double weights = params * 4 / mb;
        long peakKb = status("VmHWM");
        out.put("parameters", params);
        out.put("weights_mb", weights);
        out.put("grads_mb", weights);
        out.put("adamw_state_mb", 2 * weights);
        out.put("reference_weights_mb", weights);
        double floor = 5 * weights;
        out.put("weights_grads_adamw_reference_mb", floor);
        out.put("peak_rss_mb", peakKb / 1024.0);
        out.put("peak_over_floor", peakKb / 1024.0 / floor);
        System.out.printf(Locale.ROOT, "breakdown: policy weights %.0f MB + gradients %.0f MB + AdamW moments %.0f MB"
                + " + reference weights %.0f MB = %.0f MB; peak RSS %.0f MB = %.2fx that%n",
                weights, weights, 2 * weights, weights, floor, peakKb / 1024.0, peakKb / 1024.0 / floor);
        if (json != null) {
            Files.createDirectories(json.toAbsolutePath().getParent());
            Files.writeString(json, new com.fasterxml.jackson.databind.ObjectMapper()
                    .writerWithDefaultPrettyPrinter().writeValueAsString(out) + "\n");
        }
    }

    private static void mark(Map<String, Object> out, String what) {
        Map<String, Long> m = new LinkedHashMap<>();
        for (String k : new String[] {"VmRSS", "VmHWM", "RssAnon", "RssFile"}) m.put(k + "_mb", status(k) / 1024);
        System.out.printf(Locale.ROOT, "%-28s %s%n", what, m);
        out.put("rss: " + what, m);
    }

    private static long status(String key) {
        try (Stream<String> lines = Files.lines(Path.of("/proc/self/status"))) {
            return lines.filter(l -> l.startsWith(key + ":"))
                    .mapToLong(l -> Long.parseLong(l.replaceAll("[^0-9]", ""))).findFirst().orElse(-1);
        } catch (IOException e) {
            return -1;
        }
    }
}
