package dev.raftj.bench;

import dev.raftj.generate.Generator;
import dev.raftj.generate.Sample;
import dev.raftj.generate.SamplingParams;
import dev.raftj.model.CausalLM;
import dev.raftj.torch.Torch;
import java.util.ArrayList;
import java.util.List;
import org.bytedeco.javacpp.Pointer;

/**
 * Checks that resident memory stays flat across a long generate loop (DESIGN.md: without a
 * PointerScope per step RSS swung 273↔894 MB). Runs {@code --calls} generate calls (default
 * 1,000 of 4 prompts × 2 samples × 8 new tokens on gpt2-tiny), samples VmRSS every
 * {@code --every} calls, prints the series and the growth from the first sample to the last, and
 * exits 1 if the growth exceeds {@code --bound-mb} (default 50).
 *
 * <p>Run with a fixed heap (-Xms = -Xmx, -XX:+AlwaysPreTouch) so heap growth is not mistaken for
 * a native leak. Besides VmRSS it prints JavaCPP's own counters: {@code Pointer.totalBytes()}
 * (native memory JavaCPP allocated and has not freed) and {@code Pointer.totalCount()} (live
 * deallocators, i.e. native objects JavaCPP still owns), which point at the allocation that leaks.
 *
 * <pre>java -Xms256m -Xmx256m -XX:+AlwaysPreTouch -cp benchmarks/target/benchmarks.jar dev.raftj.bench.MemoryFlat
 *   [--model gpt2-tiny] [--calls 1000] [--every 100] [--bound-mb 50] [--prompts 4] [--samples 2] [--tokens 8] [--threads 0] [--json FILE]</pre>
 */
public final class MemoryFlat {
    public static void main(String[] args) {
        String model = "gpt2-tiny";
        int calls = 1000, every = 100, prompts = 4, samples = 2, tokens = 8, threads = 0;
        double boundMb = 50;
        String jsonOut = null;
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (i + 1 >= args.length) usage("missing value after " + a);
            String v = args[++i];
            switch (a) {
                case "--model" -> model = v;
                case "--calls" -> calls = Integer.parseInt(v);
                case "--every" -> every = Integer.parseInt(v);
                case "--bound-mb" -> boundMb = Double.parseDouble(v);
                case "--prompts" -> prompts = Integer.parseInt(v);
                case "--samples" -> samples = Integer.parseInt(v);
                case "--tokens" -> tokens = Integer.parseInt(v);
                case "--threads" -> threads = Integer.parseInt(v);
                case "--json" -> jsonOut = v;
                default -> usage("unknown option " + a);
            }
        }
        if (calls < 2 * every) usage("--calls must be at least 2 × --every");

        Torch.init(threads);
        CausalLM lm = CausalLM.load(BenchSupport.model(model));
        Generator gen = new Generator(lm);
        List<int[]> ps = BenchSupport.randomPrompts(prompts, 8, 16, lm.config().vocabSize, 7);
        System.out.println(BenchSupport.threadReport(threads));
        System.out.printf("memory-flat: %s, %d calls of %d prompts x %d samples x %d tokens, RSS every %d calls, bound %.0f MB%n",
                model, calls, prompts, samples, tokens, every, boundMb);
        System.out.printf("%8s %10s %14s %12s %10s%n", "call", "rss_mb", "javacpp_mb", "javacpp_n", "ms/call");
        System.out.printf("%8d %10.1f %14.2f %12d %10s%n", 0, BenchSupport.rssKb() / 1024.0,
                Pointer.totalBytes() / 1048576.0, Pointer.totalCount(), "-");

        List<long[]> series = new ArrayList<>(); // call, rssKb
        long checksum = 0;
        long t0 = System.nanoTime();
        for (int c = 1; c <= calls; c++) {
            // a new seed per call, as an alignment loop would use
            SamplingParams sp = SamplingParams.sampling(1.0, tokens, samples, c).withIgnoreEos(true);
            List<Sample> out = gen.generate(ps, sp);
            checksum += out.get(out.size() - 1).tokens()[tokens - 1];
            if (c % every == 0) {
                long rss = BenchSupport.rssKb();
                long t1 = System.nanoTime();
                series.add(new long[] {c, rss});
                System.out.printf("%8d %10.1f %14.2f %12d %10.2f%n", c, rss / 1024.0,
                        Pointer.totalBytes() / 1048576.0, Pointer.totalCount(), (t1 - t0) / 1e6 / every);
                t0 = t1;
            }
        }
        long first = series.get(0)[1], last = series.get(series.size() - 1)[1];
        long max = series.stream().mapToLong(s -> s[1]).max().orElse(0);
        double growthMb = (last - first) / 1024.0;
        StringBuilder json = new StringBuilder("{\"model\":\"").append(model).append("\",\"calls\":").append(calls)
                .append(",\"every\":").append(every).append(",\"rss_kb\":[");
        for (int i = 0; i < series.size(); i++) json.append(i > 0 ? "," : "").append(series.get(i)[1]);
        json.append("],\"growth_mb\":").append(String.format(java.util.Locale.ROOT, "%.2f", growthMb))
                .append(",\"bound_mb\":").append(boundMb).append("}");
        System.out.println("memory-flat-json: " + json);
        if (jsonOut != null) {
            try {
                java.nio.file.Files.writeString(java.nio.file.Path.of(jsonOut), json + "\n");
            } catch (java.io.IOException e) {
                System.err.println("MemoryFlat: cannot write " + jsonOut + ": " + e);
                System.exit(2);
            }
        }
        boolean ok = growthMb <= boundMb;
        System.out.printf("memory-flat: RSS growth from call %d to call %d: %+.1f MB (peak %.1f MB), bound %.0f MB -> %s (checksum %d)%n",
                series.get(0)[0], series.get(series.size() - 1)[0], growthMb, max / 1024.0, boundMb,
                ok ? "FLAT" : "GROWING", checksum);
        System.exit(ok ? 0 : 1);
    }

    private static void usage(String why) {
        System.err.println("MemoryFlat: " + why);
        System.err.println("usage: MemoryFlat [--model NAME] [--calls N] [--every N] [--bound-mb MB] [--prompts N] [--samples K] [--tokens N] [--threads N] [--json FILE]");
        System.exit(2);
    }
}
